package org.suncet.examples.recipe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class InjectedNaNTest {

    @AfterEach
    void clear() {
        System.clearProperty(InjectedNaN.PROPERTY);
    }

    @Test
    void unsetItPoisonsNothing() {
        assertEquals(-1, InjectedNaN.stepOf("pretraining", 0));
    }

    @Test
    void itNamesOneStepOfOneRecipeOneBasedAsTheProgressShows() {
        System.setProperty(InjectedNaN.PROPERTY, "supervised:2:3");
        assertEquals(2, InjectedNaN.stepOf("supervised", 1), "epoch 2 (index 1), step 3 (index 2)");
        assertEquals(-1, InjectedNaN.stepOf("supervised", 0));
        assertEquals(-1, InjectedNaN.stepOf("pretraining", 1));
    }

    @Test
    void aMalformedValueNamesTheProperty() {
        for (String value : new String[] {"supervised:2", "supervised:two:3", "x:1:2:3"}) {
            System.setProperty(InjectedNaN.PROPERTY, value);
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> InjectedNaN.stepOf("supervised", 0));
            assertTrue(e.getMessage().contains(InjectedNaN.PROPERTY) && e.getMessage().contains(value), e.getMessage());
        }
    }
}
