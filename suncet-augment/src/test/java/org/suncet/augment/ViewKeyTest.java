package org.suncet.augment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.HashSet;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

class ViewKeyTest {

    @Property(tries = 100)
    void sameArgumentsGiveTheSameStream(@ForAll long seed, @ForAll @LongRange(min = 0) long epoch,
            @ForAll @LongRange(min = 0) long index, @ForAll @IntRange(min = 0) int view) {
        ViewKey key = new ViewKey(epoch, index, view);
        assertEquals(key.random(seed, 7).nextLong(), new ViewKey(epoch, index, view).random(seed, 7).nextLong());
    }

    @Test
    void everyComponentChangesTheStream() {
        Set<Long> firsts = new HashSet<>();
        firsts.add(new ViewKey(1, 2, 3).random(4, 5).nextLong());
        firsts.add(new ViewKey(0, 2, 3).random(4, 5).nextLong());
        firsts.add(new ViewKey(1, 0, 3).random(4, 5).nextLong());
        firsts.add(new ViewKey(1, 2, 0).random(4, 5).nextLong());
        firsts.add(new ViewKey(1, 2, 3).random(0, 5).nextLong());
        firsts.add(new ViewKey(1, 2, 3).random(4, 0).nextLong());
        firsts.add(new ViewKey(2, 1, 3).random(4, 5).nextLong());
        assertEquals(7, firsts.size());
        assertNotEquals(new ViewKey(0, 1, 0).random(0, 0).nextLong(), new ViewKey(0, 0, 1).random(0, 0).nextLong());
    }

    @Test
    void negativeComponentsAreRejected() {
        ImageOpsTest.assertMessage("epoch=-1", () -> new ViewKey(-1, 0, 0));
        ImageOpsTest.assertMessage("sampleIndex=-2", () -> new ViewKey(0, -2, 0));
        ImageOpsTest.assertMessage("viewIndex=-3", () -> new ViewKey(0, 0, -3));
    }
}
