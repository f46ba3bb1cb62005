package org.suncet.examples.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.suncet.examples.cli.Cli.args;
import static org.suncet.examples.cli.Cli.failsWithOneLine;
import static org.suncet.examples.cli.Cli.ok;
import static org.suncet.examples.cli.Cli.run;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.Dataset;
import ai.djl.util.Utils;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.LongStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.suncet.examples.data.ImageData;
import org.suncet.examples.run.Checkpoint;

/**
 * The data sources of the training subcommands: an image folder with and without held-out images
 * ({@code --test-folder}, {@code --holdout-fraction}), and CIFAR-10 without its download.
 */
class TrainingDataCommandsTest {

    private static final List<String> CLASSES = List.of("circle", "square", "stripe");

    @TempDir static Path shared;

    private static Path images;
    private static Path testImages;

    /** Writes {@code perClass} 20×20 PNGs for each class: a class colour with seeded noise. */
    private static Path imageFolder(Path root, List<String> classes, int perClass, long seed) throws IOException {
        Random random = new Random(seed);
        for (int c = 0; c < classes.size(); c++) {
            Path folder = Files.createDirectories(root.resolve(classes.get(c)));
            for (int i = 0; i < perClass; i++) {
                BufferedImage image = new BufferedImage(20, 20, BufferedImage.TYPE_INT_RGB);
                for (int y = 0; y < 20; y++) {
                    for (int x = 0; x < 20; x++) {
                        int base = 60 + 80 * c;
                        int r = Math.min(255, base + random.nextInt(40));
                        int g = Math.min(255, 255 - base + random.nextInt(40));
                        int b = random.nextInt(256);
                        image.setRGB(x, y, (r << 16) | (g << 8) | b);
                    }
                }
                ImageIO.write(image, "png", folder.resolve(i + ".png").toFile());
            }
        }
        return root;
    }

    @BeforeAll
    static void writeImages() throws IOException {
        images = imageFolder(shared.resolve("images"), CLASSES, 12, 1);
        testImages = imageFolder(shared.resolve("test-images"), CLASSES, 2, 2);
        // the engine's one-time start-up warnings (no CUDA driver) go here, not into a captured error
        ai.djl.engine.Engine.getInstance().getGpuCount();
    }

    private static List<String> pretrainArgs(Path out, String... more) {
        return args(List.of("pretrain", "--data", "image-folder", images.toString(), "--image-size", "16",
                "--classes-per-step", "3", "--batch", "8", "--label-fraction", "0.5", "--width", "0.0625",
                "--epochs", "1", "--out", out.toString()), more);
    }

    private static List<String> finetuneArgs(Path from, Path out) {
        return List.of("finetune", "--from", from.toString(), "--batch", "6", "--epochs", "1", "--out", out.toString());
    }

    @Test
    void withoutHeldOutImagesEveryRunSaysAccuracyIsOnTheTrainingImages() throws Exception {
        Path pretrain = shared.resolve("no-holdout");
        Cli.Result pretrained = ok(run(pretrainArgs(pretrain)));
        String note = "note: accuracy is measured on the training images";
        assertTrue(pretrained.out().contains(note), pretrained.both());
        assertEquals(TrainingData.TRAINING_IMAGES, Cli.configuration(pretrain).get("test-set"));

        Path finetune = shared.resolve("no-holdout-finetune");
        Cli.Result tuned = ok(run(finetuneArgs(pretrain, finetune)));
        assertTrue(tuned.out().contains(note), tuned.both());
        double top1 = tuned.number("epoch 1: training-image top-1");
        assertEquals(TrainingData.TRAINING_IMAGES, Cli.configuration(finetune).get("test-set"));
        List<double[]> rows =
                Cli.metrics(finetune, List.of("epoch", "loss", "train_accuracy", "test_top1", "rows_forwarded"), 1);
        assertEquals(rows.get(0)[3], top1, 5e-5);
        Cli.assertPngs(finetune, "loss.png", "test_top1.png");

        Cli.Result evaluated = ok(run("evaluate", "--from", finetune.toString()));
        assertTrue(evaluated.out().contains("36 test images: " + TrainingData.TRAINING_IMAGES), evaluated.both());
        assertTrue(evaluated.out().contains(note), evaluated.both());
        assertEquals(top1, evaluated.number("test top-1"), 5e-5);
    }

    @Test
    void aTestFolderIsHeldOut() throws Exception {
        Path pretrain = shared.resolve("test-folder");
        Cli.Result pretrained = ok(run(pretrainArgs(pretrain, "--test-folder", testImages.toString())));
        assertFalse(pretrained.out().contains("note:"), pretrained.both());
        assertEquals("held-out folder " + testImages, Cli.configuration(pretrain).get("test-set"));

        Path finetune = shared.resolve("test-folder-finetune");
        Cli.Result tuned = ok(run(finetuneArgs(pretrain, finetune)));
        assertFalse(tuned.out().contains("note:"), tuned.both());
        double top1 = Cli.metrics(finetune, List.of("epoch", "loss", "train_accuracy", "test_top1", "rows_forwarded"), 1)
                .get(0)[3];
        assertEquals(top1, tuned.number("epoch 1: test top-1"), 5e-5, tuned.both());
        // 6 test images: the accuracy is a multiple of 1/6
        assertEquals(0, Math.abs(top1 * 6 - Math.round(top1 * 6)), 1e-4, tuned.both());
        assertEquals("held-out folder " + testImages, Cli.configuration(finetune).get("test-set"));
        Cli.Result evaluated = ok(run("evaluate", "--from", finetune.toString()));
        assertTrue(evaluated.out().contains(" 6 test images: held-out folder"), evaluated.both());
        assertFalse(evaluated.out().contains("note:"), evaluated.both());
    }

    @Test
    void aHoldoutFractionIsSeededAndClassStratified() throws Exception {
        Path pretrain = shared.resolve("holdout");
        Cli.Result pretrained = ok(run(pretrainArgs(pretrain, "--holdout-fraction", "0.25")));
        assertFalse(pretrained.out().contains("note:"), pretrained.both());
        assertTrue(Cli.configuration(pretrain).get("test-set").contains("hold-out of 0.25"));
        // 3 of each class's 12 images held out; the labeled split (50 %) comes from the other 27
        assertEquals(15, Files.readAllLines(pretrain.resolve("labeled-indices.txt")).stream()
                .filter(line -> !line.isBlank() && !line.startsWith("#")).count());
        Cli.Result evaluated = ok(run("evaluate", "--from", pretrain.toString()));
        assertTrue(evaluated.out().contains(" 9 test images: seeded class-stratified hold-out"), evaluated.both());

        try (NDManager manager = NDManager.newBaseManager()) {
            Map<String, String> configuration = Cli.configuration(pretrain);
            TrainingData data = TrainingData.load(configuration, manager);
            assertTrue(data.heldOut());
            assertEquals(27, data.train().size());
            assertEquals(9, data.test().size());
            assertEquals(3, data.test().numClasses());
            assertArrayEquals(new long[] {3, 3, 3}, counts(data.test().labels(), 3));
            // the same seed draws the same hold-out: the test images are the same pixels again
            TrainingData again = TrainingData.load(configuration, manager);
            assertTrue(data.test().images().contentEquals(again.test().images()));
            // no held-out image is a training image (the generated images are all distinct)
            for (int i = 0; i < data.test().size(); i++) {
                var image = data.test().images().get(i);
                for (int j = 0; j < data.train().size(); j++) {
                    assertFalse(image.contentEquals(data.train().images().get(j)), "test image " + i + " = train " + j);
                }
            }
        }
    }

    @Test
    void holdOutTakesAShareOfEveryClassBySeed() {
        try (NDManager manager = NDManager.newBaseManager()) {
            long[] labels = new long[17];
            Arrays.fill(labels, 0, 10, 0);
            Arrays.fill(labels, 10, 15, 1);
            Arrays.fill(labels, 15, 17, 2);
            ImageData data = new ImageData(manager.zeros(new Shape(17, 1, 2, 2)), labels, 3);
            long[][] parts = TrainingData.holdOut(data, 0.3, 7, CLASSES);
            // round(0.3 n) per class, at least 1 and at most n - 1: 3 of 10, 2 of 5, 1 of 2
            assertArrayEquals(new long[] {3, 2, 1}, counts(pick(labels, parts[1]), 3));
            long[] union = LongStream.concat(Arrays.stream(parts[0]), Arrays.stream(parts[1])).sorted().toArray();
            assertArrayEquals(LongStream.range(0, 17).toArray(), union, "disjoint and complete");
            assertArrayEquals(parts[1], TrainingData.holdOut(data, 0.3, 7, CLASSES)[1], "seeded");
            boolean differs = false;
            for (long seed = 8; seed < 12 && !differs; seed++) {
                differs = !Arrays.equals(parts[1], TrainingData.holdOut(data, 0.3, seed, CLASSES)[1]);
            }
            assertTrue(differs, "another seed holds out other images");

            ImageData single = new ImageData(manager.zeros(new Shape(3, 1, 2, 2)), new long[] {0, 0, 1}, 2);
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> TrainingData.holdOut(single, 0.5, 0, CLASSES));
            assertTrue(e.getMessage().contains("class 'square' has 1"), e.getMessage());
        }
    }

    @Test
    void badImageFolderInputEndsWithOneLine() throws Exception {
        Path out = shared.resolve("bad");
        Path mismatched = imageFolder(shared.resolve("mismatched"), List.of("circle", "square", "triangle"), 1, 3);
        failsWithOneLine(run(pretrainArgs(out, "--test-folder", mismatched.toString())), mismatched.toString(), "classes");
        failsWithOneLine(run(pretrainArgs(out, "--test-folder", shared.resolve("nowhere").toString())), "nowhere");
        failsWithOneLine(run(pretrainArgs(out, "--test-folder", testImages.toString(), "--holdout-fraction", "0.2")),
                "exclude each other");
        for (String fraction : List.of("0", "1", "1.5", "x")) {
            failsWithOneLine(run(pretrainArgs(out, "--holdout-fraction", fraction)), "--holdout-fraction");
        }
        failsWithOneLine(run(pretrainArgs(out, "--classes-per-step", "4")), "--classes-per-step 4", "3 classes");
        failsWithOneLine(run(pretrainArgs(out, "--label-fraction", "1.01")), "--label-fraction");
        assertFalse(Files.exists(out), "no run folder for bad input");
    }

    @Test
    void anUnreadableImageIsNamedOrSkippedAndCounted() throws Exception {
        Path broken = Cli.copy(images, shared.resolve("broken-images"));
        Path corrupt = broken.resolve("square").resolve("3.png");
        Cli.corrupt(corrupt);
        Path text = broken.resolve("circle").resolve("notes.png");
        Files.writeString(text, "not an image");
        Path out = shared.resolve("broken-run");
        List<String> pretrain = args(List.of("pretrain", "--data", "image-folder", broken.toString(), "--image-size", "16",
                "--classes-per-step", "3", "--batch", "8", "--label-fraction", "0.5", "--width", "0.0625",
                "--epochs", "1", "--out", out.toString()));
        Cli.Result refused = failsWithOneLine(run(pretrain), "error: cannot read image ", "notes.png");
        assertFalse(refused.err().contains("Exception:"), refused.both());
        assertFalse(Files.exists(out), "no run folder for bad input");

        Cli.Result skipped = ok(run(args(pretrain, "--skip-unreadable")));
        assertTrue(skipped.out().contains("skipped 2 unreadable images: first " + text.toAbsolutePath()), skipped.both());
        Map<String, String> configuration = Cli.configuration(out);
        assertEquals("true", configuration.get("skip-unreadable"));
        assertEquals("2", configuration.get("unreadable-images"));
        ok(run(args(pretrain, "--skip-unreadable", "--resume")));
        failsWithOneLine(run(args(pretrain, "--resume")), "cannot read image");
        Cli.Result evaluated = ok(run("evaluate", "--from", out.toString()));
        assertTrue(evaluated.out().contains("skipped 2 unreadable images"), evaluated.both());

        Path brokenTest = Cli.copy(testImages, shared.resolve("broken-test-images"));
        Cli.corrupt(brokenTest.resolve("stripe").resolve("1.png"));
        failsWithOneLine(run(pretrainArgs(shared.resolve("broken-test-run"), "--test-folder", brokenTest.toString())),
                "cannot read image " + brokenTest.resolve("stripe").resolve("1.png").toAbsolutePath());
    }

    @Test
    void testFolderClassesThatDifferAreNamed() throws Exception {
        Path other = imageFolder(shared.resolve("other-classes"), List.of("circle", "square", "triangle"), 1, 4);
        failsWithOneLine(run(pretrainArgs(shared.resolve("other-classes-run"), "--test-folder", other.toString())),
                "error: --test-folder classes differ from the training folder's: missing [stripe], extra [triangle]");
    }

    @Test
    void anEmptyClassSubFolderIsNamed() throws Exception {
        Path withEmpty = Cli.copy(images, shared.resolve("with-empty"));
        Files.createDirectories(withEmpty.resolve("hexagon"));
        Path out = shared.resolve("with-empty-run");
        failsWithOneLine(run(List.of("pretrain", "--data", "image-folder", withEmpty.toString(), "--image-size", "16",
                "--batch", "8", "--epochs", "1", "--out", out.toString())), "[hexagon]", withEmpty.toString());
        assertFalse(Files.exists(out));

        Path testWithEmpty = imageFolder(shared.resolve("test-with-empty"), List.of("circle", "square"), 1, 5);
        Files.createDirectories(testWithEmpty.resolve("stripe"));
        Cli.Result noted = ok(run(pretrainArgs(shared.resolve("test-with-empty-run"), "--test-folder", testWithEmpty.toString())));
        assertTrue(noted.out().contains("note: test folder " + testWithEmpty + " has no image of the classes [stripe]"),
                noted.both());
    }

    @Test
    void anUnwritableRunFolderIsNamedBeforeTraining() throws Exception {
        Path file = Files.writeString(shared.resolve("a-file"), "x");
        Path under = file.resolve("run");
        Cli.Result result = failsWithOneLine(run(pretrainArgs(under)), "error: cannot write run folder " + under + ": ");
        assertFalse(result.out().contains("epoch"), result.both());
    }

    @Test
    void aReadOnlyRunFolderIsNamedBeforeTraining() throws Exception {
        Path readOnly = Files.createDirectories(shared.resolve("read-only"));
        assertTrue(readOnly.toFile().setWritable(false, false));
        try {
            Assumptions.assumeFalse(Files.isWritable(readOnly), "this user may write to read-only folders (root)");
            failsWithOneLine(run(pretrainArgs(readOnly.resolve("run"))), "cannot write run folder", "permission denied");
        } finally {
            readOnly.toFile().setWritable(true, false);
        }
    }

    @Test
    void cifar10OfflineWithoutItsDownloadSaysSoInOneLine() throws Exception {
        Assumptions.assumeFalse(ImageData.cifar10Cached(), "CIFAR-10 is in DJL's cache here");
        String offline = System.getProperty("ai.djl.offline");
        System.setProperty("ai.djl.offline", "true");
        try {
            Assumptions.assumeTrue(Utils.isOfflineMode(), "DJL_OFFLINE overrides ai.djl.offline here");
            Path out = shared.resolve("cifar");
            long start = System.nanoTime();
            Cli.Result result = run("pretrain", "--data", "cifar10", "--out", out.toString());
            double seconds = (System.nanoTime() - start) / 1e9;
            failsWithOneLine(result, "cifar10 needs a download", "network", "--data image-folder PATH");
            assertFalse(result.err().contains("Exception"), result.both());
            assertTrue(seconds < 10, "it must not wait for the network: " + seconds + " s");
            assertFalse(Files.exists(out));
            assertFalse(Files.exists(out.resolve(Checkpoint.FILE_NAME)));
            try (NDManager manager = NDManager.newBaseManager()) {
                IOException direct = assertThrows(IOException.class, () -> ImageData.cifar10(Dataset.Usage.TEST, manager));
                assertTrue(direct.getMessage().contains(ImageData.cifar10CacheFolder().toString()), direct.getMessage());
            }
        } finally {
            if (offline == null) {
                System.clearProperty("ai.djl.offline");
            } else {
                System.setProperty("ai.djl.offline", offline);
            }
        }
    }

    private static long[] counts(long[] labels, int classes) {
        long[] counts = new long[classes];
        for (long label : labels) {
            counts[(int) label]++;
        }
        return counts;
    }

    private static long[] pick(long[] labels, long[] indices) {
        return Arrays.stream(indices).map(i -> labels[(int) i]).toArray();
    }
}
