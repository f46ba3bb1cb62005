package org.suncet.examples.recipe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;
import org.suncet.augment.MultiViewTransform;

class SupportViewTest {

    @Test
    void namesRoundTripAndAnUnknownNameIsNamed() {
        for (SupportView v : SupportView.values()) {
            assertEquals(v, SupportView.parse(v.cliName()));
        }
        assertEquals("crop-flip", SupportView.CROP_FLIP.cliName());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SupportView.parse("jitter"));
        assertTrue(e.getMessage().contains("'jitter'") && e.getMessage().contains("crop-flip"), e.getMessage());
    }

    @Test
    void noneForwardsTheImageAndTheOthersChangeIt() {
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            manager.getEngine().setRandomSeed(3);
            NDArray images = manager.randomUniform(0, 1, new Shape(6, 1, 28, 28));
            long[] keys = {0, 1, 2, 3, 4, 5};
            NDArray none = view(SupportView.NONE, images, keys);
            assertEquals(0, none.sub(images).abs().max().getFloat(), 1e-6, "the 'none' support view changed the image");
            for (SupportView v : new SupportView[] {SupportView.SIMCLR, SupportView.CROP_FLIP}) {
                float change = view(v, images, keys).sub(images).abs().max().getFloat();
                assertTrue(change > 0.1f, v + " left the images unchanged: max change " + change);
            }
        }
    }

    @Test
    void theRecipeLeavesTheSupportUnaugmentedAndTheOtherConstructorsUseSimClrsView() {
        PretrainConfig recipe = PretrainConfig.recipe(true, 2, 3, 0);
        assertEquals(SupportView.NONE, recipe.supportView());
        assertEquals(SupportView.SIMCLR, PretrainConfig.defaults(true, 2, 0).supportView());
        assertEquals(SupportView.CROP_FLIP, recipe.withSupportView(SupportView.CROP_FLIP).supportView());
        assertEquals(recipe, recipe.withSupportView(SupportView.SIMCLR).withSupportView(SupportView.NONE));
    }

    private static NDArray view(SupportView v, NDArray images, long[] keys) {
        return MultiViewTransform.repeat(v.builder(28, 0.08).optSeed(11).build(), 1)
                .transformBatch(images, 0, keys)
                .head();
    }
}
