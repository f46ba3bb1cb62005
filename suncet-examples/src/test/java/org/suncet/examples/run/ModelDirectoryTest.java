package org.suncet.examples.run;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.training.ParameterStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.suncet.models.SuncetBlockFactory;

class ModelDirectoryTest {

    private static final Shape INPUT = new Shape(2, 1, 8, 8);
    private static final List<String> CLASSES = List.of("zero", "one", "two");

    private static Map<String, String> arguments() {
        Map<String, String> arguments = new LinkedHashMap<>();
        arguments.put(SuncetBlockFactory.NETWORK, SuncetBlockFactory.FINE_TUNE);
        arguments.put(SuncetBlockFactory.DEPTH, "18");
        arguments.put(SuncetBlockFactory.WIDTH, "0.0625");
        arguments.put(SuncetBlockFactory.INPUT_CHANNELS, "1");
        arguments.put(SuncetBlockFactory.CIFAR_STEM, "true");
        arguments.put(SuncetBlockFactory.NUM_CLASSES, "3");
        return arguments;
    }

    private static Block network(NDManager manager, int seed) {
        Block block = SuncetBlockFactory.build(arguments());
        Engine.getInstance().setRandomSeed(seed);
        block.initialize(manager, DataType.FLOAT32, INPUT);
        // the classifier starts at zero: move it, so that its outputs tell two networks apart
        block.getParameters().forEach(p -> p.getValue().getArray().addi(0.01f * (seed + 1)));
        return block;
    }

    private static Set<String> names(Path folder) throws Exception {
        try (Stream<Path> entries = Files.list(folder)) {
            return entries.map(path -> path.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
        }
    }

    private static float[] output(Block block, NDArray images) {
        return block.forward(new ParameterStore(images.getManager(), false), new NDList(images), false)
                .singletonOrThrow().toFloatArray();
    }

    @Test
    void eachEpochReplacesTheParametersAndCriteriaLoadsTheLatest(@TempDir Path run) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray images = manager.randomUniform(0, 1, INPUT);
            Path folder = ModelDirectory.write(run, network(manager, 1), 1, arguments(), CLASSES);
            assertEquals(run.resolve(ModelDirectory.FOLDER), folder);
            assertEquals(Set.of("serving.properties", "synset.txt", "suncet-0001.params"), names(folder));
            Block second = network(manager, 2);
            ModelDirectory.write(run, second, 2, arguments(), CLASSES);
            assertEquals(Set.of("serving.properties", "synset.txt", "suncet-0002.params"), names(folder));
            assertEquals(Set.of("model"), names(run), "no temporary folder is left");
            assertEquals(OptionalInt.of(2), ModelDirectory.epoch(folder));
            assertEquals(folder, ModelDirectory.find(run).orElseThrow());
            assertEquals(CLASSES, Files.readAllLines(folder.resolve("synset.txt")));
            Map<String, String> properties = RunFolder.readProperties(folder.resolve("serving.properties"));
            assertEquals(SuncetBlockFactory.class.getName(), properties.get("blockFactory"));
            assertEquals("suncet", properties.get("option.modelName"));
            assertEquals("fine-tune", properties.get("network"));

            Criteria<NDList, NDList> criteria = Criteria.builder().setTypes(NDList.class, NDList.class).optModelPath(folder).build();
            try (ZooModel<NDList, NDList> model = criteria.loadModel()) {
                assertEquals("2", model.getProperty("Epoch"));
                assertArrayEquals(output(second, images), output(model.getBlock(), images), 0f);
            }
        }
    }

    @Test
    void aFailedWriteLeavesTheModelFolderAsItWasOrAbsent(@TempDir Path run) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block uninitialised = SuncetBlockFactory.build(arguments());
            assertThrows(IllegalStateException.class, () -> ModelDirectory.write(run, uninitialised, 1, arguments(), CLASSES));
            assertEquals(Set.of(), names(run), "no half-written model folder");
            assertTrue(ModelDirectory.find(run).isEmpty());

            Path folder = ModelDirectory.write(run, network(manager, 1), 1, arguments(), CLASSES);
            byte[] params = Files.readAllBytes(folder.resolve("suncet-0001.params"));
            assertThrows(IllegalStateException.class, () -> ModelDirectory.write(run, uninitialised, 2, arguments(), CLASSES));
            assertEquals(Set.of("serving.properties", "synset.txt", "suncet-0001.params"), names(folder));
            assertArrayEquals(params, Files.readAllBytes(folder.resolve("suncet-0001.params")));
            assertEquals(Set.of("model"), names(run));
        }
    }

    @Test
    void whatACrashLeavesIsTidiedByTheNextWrite(@TempDir Path run) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            Path folder = ModelDirectory.write(run, network(manager, 1), 1, arguments(), CLASSES);
            // killed after renaming epoch 2's parameters in, before deleting epoch 1's; and mid-write of epoch 3
            Files.copy(folder.resolve("suncet-0001.params"), folder.resolve("suncet-0002.params"));
            Files.createDirectories(run.resolve(".model.123abc.tmp"));
            Files.writeString(run.resolve(".model.123abc.tmp").resolve("suncet-0003.params"), "half");
            assertEquals(OptionalInt.of(2), ModelDirectory.epoch(folder), "DJL loads the newest");
            ModelDirectory.write(run, network(manager, 3), 3, arguments(), CLASSES);
            assertEquals(Set.of("serving.properties", "synset.txt", "suncet-0003.params"), names(folder));
            assertEquals(Set.of("model"), names(run));
            assertFalse(Files.exists(run.resolve(".model.123abc.tmp")));
        }
    }

    @Test
    void aPreTrainedModelHasNoClassNamesAndBadArgumentsAreRefused(@TempDir Path run) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            Map<String, String> contrastive = arguments();
            contrastive.put(SuncetBlockFactory.NETWORK, SuncetBlockFactory.CONTRASTIVE);
            contrastive.remove(SuncetBlockFactory.NUM_CLASSES);
            Block block = SuncetBlockFactory.build(contrastive);
            block.initialize(manager, DataType.FLOAT32, INPUT);
            Path folder = ModelDirectory.write(run, block, 4, contrastive, null);
            assertEquals(Set.of("serving.properties", "suncet-0004.params"), names(folder));
            assertThrows(IllegalArgumentException.class, () -> ModelDirectory.write(run, block, 10_000, contrastive, null));
            assertThrows(IllegalArgumentException.class, () -> ModelDirectory.write(run, block, 1, null, null));
            assertTrue(ModelDirectory.find(run.resolve("elsewhere")).isEmpty());
        }
    }
}
