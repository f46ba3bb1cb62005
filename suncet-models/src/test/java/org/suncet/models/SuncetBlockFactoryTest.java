package org.suncet.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.util.Pair;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The factory rebuilds each kind of network with the saved parameter names and shapes, and DJL's
 * {@code Criteria} loads a folder of {@code Model.save} output through it, from a {@code
 * serving.properties} or from {@code optArgument}, to bit-identical inference outputs.
 */
class SuncetBlockFactoryTest {

    private static final Shape GRAY = new Shape(4, 1, 12, 12);

    private static ContrastiveModel contrastive(int channels, boolean v2) {
        ResNet encoder =
                ResNet.builder()
                        .setDepth(18)
                        .optWidthMultiplier(0.0625f)
                        .optCifarStem(true)
                        .optInputChannels(channels)
                        .optZeroInitResidual(true)
                        .build();
        ProjectionHead head =
                v2 ? ProjectionHead.simclrV2(encoder.getFeatureSize()) : ProjectionHead.simclrV1(encoder.getFeatureSize());
        return ContrastiveModel.builder().setEncoder(encoder).setHead(head).build();
    }

    private static Map<String, String> arguments(String network, String... more) {
        Map<String, String> arguments = new LinkedHashMap<>();
        arguments.put(SuncetBlockFactory.NETWORK, network);
        arguments.put(SuncetBlockFactory.DEPTH, "18");
        arguments.put(SuncetBlockFactory.WIDTH, "0.0625");
        arguments.put(SuncetBlockFactory.INPUT_CHANNELS, "1");
        arguments.put(SuncetBlockFactory.CIFAR_STEM, "true");
        for (int i = 0; i < more.length; i += 2) {
            arguments.put(more[i], more[i + 1]);
        }
        return arguments;
    }

    /** Moves every parameter away from its initial value (running variances stay positive). */
    private static void perturb(Block block, int seed) {
        Engine.getInstance().setRandomSeed(seed);
        for (Pair<String, Parameter> entry : block.getParameters()) {
            NDArray array = entry.getValue().getArray();
            try (NDArray noise = array.getManager().randomNormal(array.getShape()).mul(0.2f)) {
                if (entry.getValue().getType() == Parameter.Type.RUNNING_VAR) {
                    try (NDArray positive = noise.abs()) {
                        array.addi(positive);
                    }
                } else {
                    array.addi(noise);
                }
            }
        }
    }

    private static Map<String, Shape> signature(Block block) {
        Map<String, Shape> signature = new LinkedHashMap<>();
        for (Pair<String, Parameter> entry : block.getParameters()) {
            signature.put(entry.getKey(), entry.getValue().getShape());
        }
        return signature;
    }

    private static void writeServingProperties(Path folder, Map<String, String> arguments) throws IOException {
        StringBuilder text = new StringBuilder("engine=PyTorch\noption.modelName=net\nblockFactory=")
                .append(SuncetBlockFactory.class.getName()).append('\n');
        arguments.forEach((key, value) -> text.append(key).append('=').append(value).append('\n'));
        Files.writeString(folder.resolve("serving.properties"), text, StandardCharsets.UTF_8);
    }

    /**
     * Saves {@code built} (initialised, perturbed) with {@code Model.save}, loads the folder through
     * {@code Criteria} and checks the outputs on the same images are bit-identical.
     */
    private static void roundTrip(Block built, Map<String, String> arguments, Shape input, Path folder, boolean properties)
            throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            ModelTesting.initialize(built, manager, 3, input);
            perturb(built, 4);
            NDArray images = ModelTesting.normal(manager, 5, input);
            NDList expected = ModelTesting.forward(built, images, false);
            try (Model model = Model.newInstance("net")) {
                model.setBlock(built);
                model.save(folder, "net");
            }
            Criteria.Builder<NDList, NDList> builder =
                    Criteria.builder().setTypes(NDList.class, NDList.class).optModelPath(folder).optEngine("PyTorch");
            if (properties) {
                writeServingProperties(folder, arguments);
            } else {
                builder.optModelName("net").optArgument("blockFactory", SuncetBlockFactory.class.getName());
                arguments.forEach(builder::optArgument);
            }
            try (ZooModel<NDList, NDList> model = builder.build().loadModel()) {
                Block loaded = model.getBlock();
                assertEquals(built.getClass(), loaded.getClass());
                assertEquals(signature(built), signature(loaded));
                NDList actual = ModelTesting.forward(loaded, images, false);
                assertEquals(expected.size(), actual.size());
                for (int i = 0; i < expected.size(); i++) {
                    ModelTesting.assertBitIdentical(expected.get(i), actual.get(i));
                }
            }
        }
    }

    @Test
    void criteriaLoadsAPreTrainedModelFromServingProperties(@TempDir Path folder) throws Exception {
        roundTrip(contrastive(1, false), arguments(SuncetBlockFactory.CONTRASTIVE), GRAY, folder, true);
    }

    @Test
    void criteriaLoadsAFineTunedClassifierThatKeepsAHeadLayerFromArguments(@TempDir Path folder) throws Exception {
        Map<String, String> arguments = arguments(SuncetBlockFactory.FINE_TUNE,
                SuncetBlockFactory.KEPT_HEAD_LAYERS, "1", SuncetBlockFactory.NUM_CLASSES, "7");
        roundTrip(contrastive(1, false).fineTuneClassifier(1, 7), arguments, GRAY, folder, false);
    }

    @Test
    void criteriaLoadsALinearProbeAndASimclrV2ColourModel(@TempDir Path folder) throws Exception {
        Map<String, String> probe = arguments(SuncetBlockFactory.LINEAR_PROBE, SuncetBlockFactory.NUM_CLASSES, "3");
        roundTrip(contrastive(1, false).linearProbe(3), probe, GRAY, folder.resolve("probe"), true);
        Map<String, String> colour = arguments(SuncetBlockFactory.CONTRASTIVE,
                SuncetBlockFactory.INPUT_CHANNELS, "3", SuncetBlockFactory.PROJECTION_HEAD, SuncetBlockFactory.SIMCLR_V2);
        roundTrip(contrastive(3, true), colour, new Shape(2, 3, 10, 10), folder.resolve("colour"), true);
    }

    @Test
    void buildGivesEachKindWithTheTrainedNetworksParameterNames() {
        assertInstanceOf(ContrastiveModel.class, SuncetBlockFactory.build(arguments("contrastive")));
        assertInstanceOf(LinearProbe.class,
                SuncetBlockFactory.build(arguments("Linear-Probe", SuncetBlockFactory.NUM_CLASSES, "4")));
        Map<String, Object> numbers = new HashMap<>(arguments(SuncetBlockFactory.FINE_TUNE));
        numbers.put(SuncetBlockFactory.DEPTH, 18);
        numbers.put(SuncetBlockFactory.WIDTH, 0.0625f);
        numbers.put(SuncetBlockFactory.NUM_CLASSES, 10);
        Block built = SuncetBlockFactory.build(numbers);
        Block trained = contrastive(1, false).fineTuneClassifier(0, 10);
        try (NDManager manager = NDManager.newBaseManager()) {
            built.initialize(manager, ai.djl.ndarray.types.DataType.FLOAT32, GRAY);
            trained.initialize(manager, ai.djl.ndarray.types.DataType.FLOAT32, GRAY);
            assertEquals(signature(trained), signature(built));
        }
    }

    @Test
    void badArgumentsAreRefusedNamingTheKey() {
        List<Pair<Map<String, String>, String>> cases = new ArrayList<>();
        Map<String, String> noNetwork = arguments("contrastive");
        noNetwork.remove(SuncetBlockFactory.NETWORK);
        cases.add(new Pair<>(noNetwork, "'network' is required"));
        cases.add(new Pair<>(arguments("siamese"), "network must be"));
        Map<String, String> noDepth = arguments("contrastive");
        noDepth.remove(SuncetBlockFactory.DEPTH);
        cases.add(new Pair<>(noDepth, "'depth' is required"));
        cases.add(new Pair<>(arguments("contrastive", SuncetBlockFactory.WIDTH, "wide"), "'width' must be a number"));
        cases.add(new Pair<>(arguments("contrastive", SuncetBlockFactory.CIFAR_STEM, "yes"), "'cifarStem' must be true or false"));
        cases.add(new Pair<>(arguments("contrastive", SuncetBlockFactory.NUM_CLASSES, "10"), "'numClasses' does not apply"));
        cases.add(new Pair<>(arguments("fine-tune"), "'numClasses' is required"));
        cases.add(new Pair<>(arguments("contrastive", SuncetBlockFactory.PROJECTION_HEAD, "mlp"), "projectionHead must be"));
        cases.add(new Pair<>(arguments("contrastive", SuncetBlockFactory.DEPTH, "19"), "19"));
        cases.add(new Pair<>(arguments("fine-tune", SuncetBlockFactory.NUM_CLASSES, "2",
                SuncetBlockFactory.KEPT_HEAD_LAYERS, "3"), "[0, 2]"));
        for (Pair<Map<String, String>, String> c : cases) {
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> SuncetBlockFactory.build(c.getKey()), c.getKey().toString());
            assertTrue(e.getMessage().contains(c.getValue()), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> SuncetBlockFactory.build(null));
    }
}
