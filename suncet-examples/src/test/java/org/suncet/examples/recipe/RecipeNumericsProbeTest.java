package org.suncet.examples.recipe;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.suncet.examples.data.ImageData;
import org.suncet.models.ContrastiveModel;
import org.suncet.train.LabelSplit;

/** TEMPORARY: records the recipes' losses bit for bit into a folder, to compare before and after. */
class RecipeNumericsProbeTest {

    @Test
    void record(@TempDir Path scratch) throws Exception {
        Path out = Paths.get(System.getProperty("probe.out", "/tmp/suncet-probe"));
        Files.createDirectories(out);
        List<String> lines = new ArrayList<>();
        try (NDManager manager = NDManager.newBaseManager()) {
            ImageData data = ContrastivePretrainingTest.subset(manager, scratch, 128);
            LabelSplit split = LabelSplit.balanced(data.labels(), 0.2, 1);
            PretrainConfig config =
                    new PretrainConfig(true, 2, 32, 5, 2, 0.5f, 0.1f, 1f, 1, 0.3f, 1e-6f, 0.1f, 18, 0.0625f, 7, 2);
            ContrastiveModel pretrained;
            try (ContrastivePretraining run = new ContrastivePretraining(config, data, split)) {
                for (int epoch = 0; epoch < 2; epoch++) {
                    run.runEpoch(epoch, (e, s, steps, mean, rows) ->
                            lines.add("pretrain " + e + " " + s + " " + Long.toHexString(Double.doubleToLongBits(mean))));
                }
                lines.add("pretrain params " + checksum(run.getNetwork()));
                pretrained = run.getNetwork();
            }
            ImageData labeled = data.subset(split.indices(), manager);
            ContrastiveModel fresh = ContrastivePretraining.network(18, 0.0625f, 1);
            Block classifier = fresh.fineTuneClassifier(1, 10);
            try (SupervisedTraining run = new SupervisedTraining(classifier, labeled, 2, 8, 0.05f, 3)) {
                for (int epoch = 0; epoch < 2; epoch++) {
                    int e = epoch;
                    run.runEpoch(epoch, (images, loss, accuracy) ->
                            lines.add("supervised " + e + " " + Long.toHexString(Double.doubleToLongBits(loss))));
                }
                lines.add("supervised params " + checksum(classifier));
            }
            Block teacher = ContrastivePretraining.network(18, 0.0625f, 1).fineTuneClassifier(1, 10);
            manager.getEngine().setRandomSeed(11);
            teacher.initialize(manager, DataType.FLOAT32, new Shape(1, 1, 28, 28));
            for (Pair<String, Parameter> entry : teacher.getParameters()) {
                if (entry.getKey().contains("classifier")) {
                    entry.getValue().getArray().addi(manager.randomNormal(entry.getValue().getArray().getShape()));
                }
            }
            Block student = ContrastivePretraining.network(18, 0.0625f, 1).fineTuneClassifier(0, 10);
            try (DistillationTraining run = new DistillationTraining(teacher, student, data, 2, 32, 0.3f, 5, 0)) {
                for (int epoch = 0; epoch < 2; epoch++) {
                    int e = epoch;
                    run.runEpoch(epoch, (images, loss) ->
                            lines.add("distill " + e + " " + Long.toHexString(Double.doubleToLongBits(loss))));
                }
                lines.add("distill params " + checksum(student));
            }
            if (pretrained == null) {
                throw new AssertionError();
            }
        }
        Files.write(out.resolve(System.getProperty("probe.name", "run") + ".txt"), lines);
        lines.forEach(System.out::println);
    }

    private static String checksum(Block block) {
        int hash = 1;
        for (Pair<String, Parameter> entry : block.getParameters()) {
            if (entry.getValue().isInitialized()) {
                hash = 31 * hash + Arrays.hashCode(entry.getValue().getArray().toFloatArray());
            }
        }
        return Integer.toHexString(hash);
    }
}
