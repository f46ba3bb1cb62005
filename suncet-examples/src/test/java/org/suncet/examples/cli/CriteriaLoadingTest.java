package org.suncet.examples.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.suncet.examples.cli.Cli.ok;
import static org.suncet.examples.cli.Cli.run;

import ai.djl.inference.Predictor;
import ai.djl.modality.Classifications;
import ai.djl.modality.cv.ImageFactory;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.training.ParameterStore;
import ai.djl.training.dataset.Dataset;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.suncet.examples.data.DebianFashionMnist;
import org.suncet.examples.data.ImageData;
import org.suncet.examples.run.Checkpoint;
import org.suncet.examples.run.ModelDirectory;
import org.suncet.models.translate.ImagePreprocessing;
import org.suncet.models.translate.SuncetTranslatorFactory;

/**
 * The model folders a tiny {@code pretrain} and {@code finetune} write (Fashion-MNIST, 128
 * training images, ResNet-18 at width 1/16, one epoch each), loaded as a user loads them: DJL's
 * {@code Criteria} with {@link SuncetTranslatorFactory}, a {@code Predictor} on a PNG of a
 * Fashion-MNIST test image. The result must be the training code's network (rebuilt by {@link
 * Networks}, loaded from the checkpoint) in inference mode on the pixels the training data holds
 * for that image, bit for bit; and {@code evaluate --from RUN} loads the folder through {@code
 * Criteria}.
 */
class CriteriaLoadingTest {

    private static final int IMAGES = 6;

    @TempDir static Path shared;

    private static Path pretrain;
    private static Path finetune;
    private static NDManager manager;
    private static NDArray testImages;

    @BeforeAll
    static void trainAndWriteImages() throws Exception {
        pretrain = shared.resolve("pretrain");
        ok(run("pretrain", "--train-images", "128", "--test-images", "64", "--label-fraction", "0.25",
                "--width", "0.0625", "--batch", "32", "--epochs", "1", "--out", pretrain.toString()));
        finetune = shared.resolve("finetune");
        ok(run("finetune", "--from", pretrain.toString(), "--batch", "10", "--epochs", "1", "--out", finetune.toString()));
        // the first test images as the training programs hold them: [N, 1, 28, 28] float32 in [0, 1]
        manager = NDManager.newBaseManager();
        ImageData test = ImageData.fashionMnist(
                DebianFashionMnist.DEFAULT_FOLDER, Dataset.Usage.TEST, manager, Files.createDirectories(shared.resolve("scratch")));
        testImages = test.images().get("0:" + IMAGES);
        for (int i = 0; i < IMAGES; i++) {
            float[] pixels = testImages.get(i).toFloatArray();
            BufferedImage image = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
            for (int p = 0; p < pixels.length; p++) {
                image.getRaster().setSample(p % 28, p / 28, 0, Math.round(pixels[p] * 255));
            }
            ImageIO.write(image, "png", png(i).toFile());
        }
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    private static Path png(int i) {
        return shared.resolve("test-" + i + ".png");
    }

    /** The network as the training code builds and loads it, forward in inference mode on image i. */
    private static NDList trainedForward(Path run, int i) throws Exception {
        Block network = Networks.of(Cli.configuration(run), 1, 10);
        Checkpoint.load(Checkpoint.find(run).orElseThrow(), network, manager);
        NDArray input = testImages.get(i).expandDims(0); // [1, 1, 28, 28]
        return network.forward(new ParameterStore(manager, false), new NDList(input), false);
    }

    private static Set<String> names(Path folder) throws Exception {
        try (Stream<Path> entries = Files.list(folder)) {
            return entries.map(path -> path.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
        }
    }

    private static <O> Criteria<Path, O> criteria(Class<O> output, Path run, String... arguments) {
        Criteria.Builder<Path, O> builder = Criteria.builder()
                .setTypes(Path.class, output)
                .optModelPath(run.resolve("model"))
                .optEngine("PyTorch")
                .optTranslatorFactory(new SuncetTranslatorFactory());
        for (int i = 0; i < arguments.length; i += 2) {
            builder.optArgument(arguments[i], arguments[i + 1]);
        }
        return builder.build();
    }

    @Test
    void aPngIsPreparedIntoThePixelsTheTrainingDataHolds() throws Exception {
        java.util.Properties properties = new java.util.Properties();
        try (var reader = Files.newBufferedReader(pretrain.resolve("model").resolve(ModelDirectory.SERVING_PROPERTIES))) {
            properties.load(reader);
        }
        Map<String, String> arguments = new java.util.HashMap<>();
        properties.stringPropertyNames().forEach(key -> arguments.put(key, properties.getProperty(key)));
        assertEquals("when-size-differs", arguments.get("resize"));
        ImagePreprocessing preprocessing = ImagePreprocessing.fromArguments(arguments);
        for (int i = 0; i < IMAGES; i++) {
            NDArray prepared = preprocessing.toInput(manager, ImageFactory.getInstance().fromFile(png(i)));
            assertEquals(new Shape(1, 28, 28), prepared.getShape());
            assertArrayEquals(testImages.get(i).toFloatArray(), prepared.toFloatArray(), 0f, "image " + i);
        }
    }

    @Test
    void aPreTrainedModelFolderGivesTheTrainedFeaturesAndProjectionBitForBit() throws Exception {
        assertEquals(Set.of("serving.properties", "suncet-0001.params"), names(pretrain.resolve("model")));
        try (ZooModel<Path, float[]> model = criteria(float[].class, pretrain).loadModel();
                Predictor<Path, float[]> predictor = model.newPredictor()) {
            for (int i = 0; i < IMAGES; i++) {
                float[] h = predictor.predict(png(i));
                assertEquals(32, h.length, "512 features at width 1/16");
                assertArrayEquals(trainedForward(pretrain, i).get(0).toFloatArray(), h, 0f, "h of image " + i);
            }
        }
        try (ZooModel<Path, float[]> model = criteria(float[].class, pretrain, "embedding", "z").loadModel();
                Predictor<Path, float[]> predictor = model.newPredictor()) {
            assertArrayEquals(trainedForward(pretrain, 0).get(1).toFloatArray(), predictor.predict(png(0)), 0f, "z");
        }
    }

    @Test
    void withoutOurTranslatorFactoryAnImageIsRefusedNotSilentlyTranslatedAndTheFolderNamesTheFactory() throws Exception {
        Criteria<Path, float[]> plain = Criteria.builder()
                .setTypes(Path.class, float[].class)
                .optModelPath(pretrain.resolve("model"))
                .optEngine("PyTorch")
                .build();
        // DJL picks the translator factory before it reads serving.properties: an image input without
        // ours fails to load, naming the (NDList, NDList) types its default supports.
        assertThrows(ai.djl.repository.zoo.ModelNotFoundException.class, plain::loadModel);
        java.util.Properties properties = new java.util.Properties();
        try (var reader = Files.newBufferedReader(pretrain.resolve("model").resolve(ModelDirectory.SERVING_PROPERTIES))) {
            properties.load(reader);
        }
        String named = properties.getProperty("translatorFactory");
        assertEquals(SuncetTranslatorFactory.class.getName(), named);
        Criteria<Path, float[]> byName = Criteria.builder()
                .setTypes(Path.class, float[].class)
                .optModelPath(pretrain.resolve("model"))
                .optEngine("PyTorch")
                .optArgument("translatorFactory", named)
                .build();
        try (ZooModel<Path, float[]> model = byName.loadModel(); Predictor<Path, float[]> predictor = model.newPredictor()) {
            assertArrayEquals(trainedForward(pretrain, 0).get(0).toFloatArray(), predictor.predict(png(0)), 0f, "h");
        }
    }

    @Test
    void aFineTunedModelFolderPredictsTheClassOfTheTrainedNetworksLargestLogit() throws Exception {
        Path folder = finetune.resolve("model");
        assertEquals(Set.of("serving.properties", "suncet-0001.params", "synset.txt"), names(folder));
        assertEquals(TrainingData.FASHION_MNIST_CLASSES, Files.readAllLines(folder.resolve("synset.txt")));
        try (ZooModel<Path, Classifications> model = criteria(Classifications.class, finetune).loadModel();
                Predictor<Path, Classifications> predictor = model.newPredictor();
                ZooModel<Path, float[]> logitsModel = criteria(float[].class, finetune).loadModel();
                Predictor<Path, float[]> logitsPredictor = logitsModel.newPredictor()) {
            for (int i = 0; i < IMAGES; i++) {
                float[] logits = trainedForward(finetune, i).singletonOrThrow().toFloatArray();
                assertArrayEquals(logits, logitsPredictor.predict(png(i)), 0f, "logits of image " + i);
                int argmax = 0;
                for (int c = 1; c < logits.length; c++) {
                    argmax = logits[c] > logits[argmax] ? c : argmax;
                }
                Classifications result = predictor.predict(png(i));
                assertEquals(TrainingData.FASHION_MNIST_CLASSES.get(argmax), result.best().getClassName(), "image " + i);
                assertEquals(1.0, result.getProbabilities().stream().mapToDouble(Double::doubleValue).sum(), 1e-5);
            }
        }
    }

    @Test
    void evaluateLoadsTheModelFolderThroughCriteriaAndFallsBackToTheCheckpoint() throws Exception {
        double recorded = Cli.metrics(finetune, List.of("epoch", "loss", "train_accuracy", "test_top1", "rows_forwarded"), 1)
                .get(0)[3];
        Cli.Result loaded = ok(run("evaluate", "--from", finetune.toString()));
        assertTrue(loaded.out().contains("model " + finetune.resolve("model") + " loaded through DJL's Criteria"), loaded.both());
        assertEquals(recorded, loaded.number("test top-1"), 5e-5, loaded.both());

        // a run killed between writing the model of epoch 2 and its checkpoint: the checkpoint counts
        Path ahead = Cli.copy(finetune, shared.resolve("ahead"));
        Files.move(ahead.resolve("model/suncet-0001.params"), ahead.resolve("model/suncet-0002.params"));
        Cli.Result fallback = ok(run("evaluate", "--from", ahead.toString()));
        assertTrue(fallback.out().contains("holds epoch 2, the checkpoint epoch 1; evaluating the checkpoint"), fallback.both());
        assertEquals(loaded.number("test top-1"), fallback.number("test top-1"), 0, fallback.both());
        assertEquals(loaded.number("soft-nearest-neighbour top-1"), fallback.number("soft-nearest-neighbour top-1"), 0);

        // a run written before model folders existed
        Path older = Cli.copy(pretrain, shared.resolve("older"));
        Cli.Result before = ok(run("evaluate", "--from", pretrain.toString()));
        Files.walk(older.resolve("model")).sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        assertTrue(ModelDirectory.find(older).isEmpty());
        Cli.Result withoutModel = ok(run("evaluate", "--from", older.toString()));
        assertFalse(withoutModel.out().contains("Criteria"), withoutModel.both());
        assertEquals(before.number("soft-nearest-neighbour top-1"), withoutModel.number("soft-nearest-neighbour top-1"), 0);
    }

    @Test
    void anImageFolderImageIsPreparedAsDjlsImageFolderLoadsIt(@TempDir Path root) throws Exception {
        int[][] sizes = {{20, 12}, {16, 16}, {40, 33}};
        for (int c = 0; c < sizes.length; c++) {
            BufferedImage image = new BufferedImage(sizes[c][0], sizes[c][1], BufferedImage.TYPE_INT_RGB);
            java.util.Random random = new java.util.Random(c);
            for (int y = 0; y < sizes[c][1]; y++) {
                for (int x = 0; x < sizes[c][0]; x++) {
                    image.setRGB(x, y, random.nextInt(1 << 24));
                }
            }
            Files.createDirectories(root.resolve("class" + c));
            ImageIO.write(image, "png", root.resolve("class" + c).resolve("only.png").toFile());
        }
        ImageData folder = ImageData.imageFolder(root, 16, manager);
        ImagePreprocessing preprocessing = new ImagePreprocessing(3, 16, 16, true);
        for (int i = 0; i < folder.size(); i++) {
            Path file = root.resolve("class" + folder.labels()[i]).resolve("only.png");
            NDArray prepared = preprocessing.toInput(manager, ImageFactory.getInstance().fromFile(file));
            assertArrayEquals(folder.images().get(i).toFloatArray(), prepared.toFloatArray(), 0f, file.toString());
        }
    }
}
