package org.suncet.examples.run;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.util.Pair;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {

    /** A small model: Linear(units) → BatchNorm → Linear(2), on inputs of 4 features. */
    static Block model(NDManager manager, int units, int seed) {
        manager.getEngine().setRandomSeed(seed);
        SequentialBlock block = new SequentialBlock()
                .add(Linear.builder().setUnits(units).build())
                .add(BatchNorm.builder().build())
                .add(Linear.builder().setUnits(2).build());
        block.initialize(manager, DataType.FLOAT32, new Shape(3, 4));
        return block;
    }

    static List<float[]> values(Block block) {
        List<float[]> values = new ArrayList<>();
        for (Pair<String, Parameter> parameter : block.getParameters()) {
            values.add(parameter.getValue().getArray().toFloatArray());
        }
        return values;
    }

    static void assertSameValues(List<float[]> expected, List<float[]> actual) {
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
            assertArrayEquals(expected.get(i), actual.get(i), 0f, "parameter " + i);
        }
    }

    @Test
    void restoresParametersStateAndNamedArrays(@TempDir Path folder) throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block saved = model(manager, 8, 1);
            TrainingState state = new TrainingState(3, 1_407, 42, Map.of("sampler.position", "17", "suncet.off", "false"));
            NDArray momentum = manager.create(new float[] {0.5f, -1.25f, 3f}, new Shape(3));
            Path file = Checkpoint.save(folder, saved, state, Map.of("momentum.w0", momentum));
            assertEquals(folder.resolve(Checkpoint.FILE_NAME), file);
            assertEquals(file, Checkpoint.find(folder).orElseThrow());

            Block restored = model(manager, 8, 2);
            assertFalse(java.util.Arrays.equals(values(saved).get(0), values(restored).get(0)), "different start");
            Checkpoint.Restored back = Checkpoint.load(file, restored, manager);
            assertSameValues(values(saved), values(restored));
            assertEquals(state, back.state());
            assertEquals(List.of("momentum.w0"), List.copyOf(back.arrays().keySet()));
            assertArrayEquals(momentum.toFloatArray(), back.arrays().get("momentum.w0").toFloatArray());
        }
    }

    @Test
    void loadsIntoAnUninitialisedModelOfTheSameArchitecture(@TempDir Path folder) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block saved = model(manager, 5, 3);
            Checkpoint.save(folder, saved, new TrainingState(1, 10, 0));
            SequentialBlock fresh = new SequentialBlock()
                    .add(Linear.builder().setUnits(5).build())
                    .add(BatchNorm.builder().build())
                    .add(Linear.builder().setUnits(2).build());
            Checkpoint.load(folder.resolve(Checkpoint.FILE_NAME), fresh, manager);
            assertSameValues(values(saved), values(fresh));
        }
    }

    @Test
    void aFailedSaveNeverReplacesTheGoodCheckpoint(@TempDir Path folder) throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block block = model(manager, 8, 4);
            Checkpoint.save(folder, block, new TrainingState(1, 100, 7));
            Checkpoint.save(folder, block, new TrainingState(2, 200, 7));
            byte[] good = Files.readAllBytes(folder.resolve(Checkpoint.FILE_NAME));
            byte[] previous = Files.readAllBytes(folder.resolve(Checkpoint.PREVIOUS_FILE_NAME));

            // the parameters are written, then encoding a released array fails: a failure mid-write
            NDArray released = manager.zeros(new Shape(2));
            released.close();
            assertThrows(
                    RuntimeException.class,
                    () -> Checkpoint.save(folder, block, new TrainingState(3, 300, 7), Map.of("momentum", released)));

            assertArrayEquals(good, Files.readAllBytes(folder.resolve(Checkpoint.FILE_NAME)));
            assertArrayEquals(previous, Files.readAllBytes(folder.resolve(Checkpoint.PREVIOUS_FILE_NAME)));
            assertEquals(2, Checkpoint.load(folder.resolve(Checkpoint.FILE_NAME), model(manager, 8, 5), manager)
                    .state().epochsCompleted());
            try (var entries = Files.list(folder)) {
                assertEquals(2, entries.count(), "no temporary file left");
            }
        }
    }

    @Test
    void aCorruptCheckpointIsRefusedInOneLineAndPointsToTheSoundPreviousOne(@TempDir Path folder)
            throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block block = model(manager, 8, 6);
            Checkpoint.save(folder, block, new TrainingState(1, 100, 7));
            Checkpoint.save(folder, block, new TrainingState(2, 200, 7));
            Path file = folder.resolve(Checkpoint.FILE_NAME);
            byte[] bytes = Files.readAllBytes(file);
            bytes[bytes.length / 2] ^= 0x01;
            Files.write(file, bytes);

            IllegalArgumentException e = assertThrows(
                    IllegalArgumentException.class, () -> Checkpoint.load(file, model(manager, 8, 7), manager));
            String message = e.getMessage();
            assertFalse(message.contains("\n"), message);
            assertTrue(message.startsWith("checkpoint " + file + " is corrupt: checksum mismatch"), message);
            assertTrue(message.contains("previous checkpoint " + folder.resolve(Checkpoint.PREVIOUS_FILE_NAME) + " is sound"), message);

            Files.write(file, java.util.Arrays.copyOf(bytes, bytes.length / 3));
            message = assertThrows(
                    IllegalArgumentException.class, () -> Checkpoint.load(file, model(manager, 8, 7), manager)).getMessage();
            assertTrue(message.contains("truncated"), message);
        }
    }

    @Test
    void aCheckpointOfAnotherModelDoesNotFit(@TempDir Path folder) throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            Checkpoint.save(folder, model(manager, 8, 8), new TrainingState(1, 1, 1));
            Path file = folder.resolve(Checkpoint.FILE_NAME);
            String message = assertThrows(
                    IllegalArgumentException.class, () -> Checkpoint.load(file, model(manager, 16, 9), manager)).getMessage();
            assertTrue(message.contains("does not fit this model") && message.contains("(16, 4)"), message);

            Block other = new SequentialBlock().add(Linear.builder().setUnits(2).build());
            message = assertThrows(IllegalArgumentException.class, () -> Checkpoint.load(file, other, manager)).getMessage();
            assertTrue(message.contains("does not fit this model"), message);
        }
    }

    @Test
    void aFileThatIsNotACheckpointIsNamed(@TempDir Path folder) throws IOException {
        Path file = folder.resolve("checkpoint.bin");
        ChecksummedFile.write(file, out -> out.writeUTF("something else"));
        try (NDManager manager = NDManager.newBaseManager()) {
            String message = assertThrows(
                    IllegalArgumentException.class, () -> Checkpoint.load(file, model(manager, 2, 1), manager)).getMessage();
            assertTrue(message.contains("is not a suncet checkpoint: its payload starts with 'something else'"), message);

            ChecksummedFile.write(file, out -> {
                out.writeUTF("suncet-checkpoint");
                out.writeInt(1);
            });
            message = assertThrows(
                    IllegalArgumentException.class, () -> Checkpoint.load(file, model(manager, 2, 1), manager)).getMessage();
            assertTrue(message.contains("contents end early"), message);
            assertTrue(Checkpoint.find(folder.resolve("elsewhere")).isEmpty());
        }
    }

    @Test
    void readStateReadsTheStateWithoutAModelAndRefusesADamagedFileAsLoadDoes(@TempDir Path folder) throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block block = model(manager, 8, 6);
            TrainingState first = new TrainingState(1, 100, 7, Map.of("rows", "12"));
            Checkpoint.save(folder, block, first);
            TrainingState second = new TrainingState(2, 200, 7, Map.of("rows", "24"));
            Path file = Checkpoint.save(folder, block, second, Map.of("momentum/w", manager.ones(new Shape(3))));
            assertEquals(second, Checkpoint.readState(file));
            assertEquals(first, Checkpoint.readState(folder.resolve(Checkpoint.PREVIOUS_FILE_NAME)));

            byte[] bytes = Files.readAllBytes(file);
            bytes[bytes.length / 2] ^= 0x01;
            Files.write(file, bytes);
            String message = assertThrows(IllegalArgumentException.class, () -> Checkpoint.readState(file)).getMessage();
            assertTrue(message.startsWith("checkpoint " + file + " is corrupt: checksum mismatch"), message);
            assertTrue(message.contains(Checkpoint.PREVIOUS_FILE_NAME + " is sound"), message);
        }
    }

    @Test
    void badArgumentsAreNamed(@TempDir Path folder) {
        try (NDManager manager = NDManager.newBaseManager()) {
            Block block = model(manager, 2, 1);
            TrainingState state = new TrainingState(0, 0, 0);
            assertTrue(assertThrows(IllegalArgumentException.class, () -> Checkpoint.save(null, block, state))
                    .getMessage().contains("folder"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> Checkpoint.save(folder, block, null))
                    .getMessage().contains("state"));
            assertTrue(assertThrows(
                            IllegalArgumentException.class,
                            () -> Checkpoint.save(folder, block, state, Map.of("", manager.zeros(new Shape(1)))))
                    .getMessage().contains("non-empty names"));
            assertTrue(assertThrows(
                            IllegalArgumentException.class,
                            () -> Checkpoint.load(folder.resolve("missing.bin"), block, manager))
                    .getMessage().contains("does not exist"));
        }
    }
}
