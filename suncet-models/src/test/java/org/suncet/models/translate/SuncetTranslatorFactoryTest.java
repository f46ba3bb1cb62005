package org.suncet.models.translate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.inference.Predictor;
import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.suncet.models.SuncetBlockFactory;

import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import javax.imageio.ImageIO;

/**
 * A model folder (DJL {@code .params}, {@code serving.properties}, {@code synset.txt}) loaded through
 * {@code Criteria} with {@link SuncetTranslatorFactory}: a {@code Predictor} on an image file gives
 * the network's own inference outputs on the prepared pixels, bit for bit.
 */
class SuncetTranslatorFactoryTest {

    private static final List<String> CLASSES = List.of("circle", "square", "triangle");

    /** Writes a perturbed network of the given kind into {@code folder} as a suncet model folder. */
    private static Block writeModel(Path folder, String network) throws Exception {
        Map<String, String> arguments = new LinkedHashMap<>();
        arguments.put(SuncetBlockFactory.NETWORK, network);
        arguments.put(SuncetBlockFactory.DEPTH, "18");
        arguments.put(SuncetBlockFactory.WIDTH, "0.0625");
        arguments.put(SuncetBlockFactory.INPUT_CHANNELS, "1");
        arguments.put(SuncetBlockFactory.CIFAR_STEM, "true");
        if (!network.equals(SuncetBlockFactory.CONTRASTIVE)) {
            arguments.put(SuncetBlockFactory.NUM_CLASSES, Integer.toString(CLASSES.size()));
        }
        arguments.putAll(new ImagePreprocessing(1, 12, 12, false).toArguments());
        Block block = SuncetBlockFactory.build(arguments);
        Files.createDirectories(folder);
        try (Model model = Model.newInstance("net")) {
            Engine.getInstance().setRandomSeed(7);
            block.initialize(model.getNDManager(), DataType.FLOAT32, new Shape(2, 1, 12, 12));
            for (Pair<String, Parameter> entry : block.getParameters()) {
                NDArray array = entry.getValue().getArray();
                NDArray noise = model.getNDManager().randomNormal(array.getShape()).mul(0.3f);
                array.addi(entry.getValue().getType() == Parameter.Type.RUNNING_VAR ? noise.abs() : noise);
            }
            model.setBlock(block);
            model.save(folder, "net");
        }
        StringBuilder properties = new StringBuilder("option.modelName=net\nblockFactory=")
                .append(SuncetBlockFactory.class.getName()).append('\n');
        arguments.forEach((key, value) -> properties.append(key).append('=').append(value).append('\n'));
        Files.writeString(folder.resolve("serving.properties"), properties, StandardCharsets.UTF_8);
        Files.write(folder.resolve("synset.txt"), CLASSES, StandardCharsets.UTF_8);
        return block;
    }

    private static Path png(Path folder) throws Exception {
        BufferedImage image = new BufferedImage(12, 12, BufferedImage.TYPE_BYTE_GRAY);
        Random random = new Random(11);
        for (int y = 0; y < 12; y++) {
            for (int x = 0; x < 12; x++) {
                image.getRaster().setSample(x, y, 0, random.nextInt(256));
            }
        }
        Path file = folder.resolve("image.png");
        ImageIO.write(image, "png", file.toFile());
        return file;
    }

    /** The model's own inference outputs on the prepared image, {@code [1, ...]} each. */
    private static NDList reference(ZooModel<?, ?> model, Path file, NDManager manager) throws Exception {
        Image image = ImageFactory.getInstance().fromFile(file);
        NDArray input = new ImagePreprocessing(1, 12, 12, false).toInput(manager, image).expandDims(0);
        return model.getBlock().forward(new ParameterStore(manager, false), new NDList(input), false);
    }

    private static <I, O> Criteria<I, O> criteria(Class<I> input, Class<O> output, Path folder, String... arguments) {
        Criteria.Builder<I, O> builder = Criteria.builder().setTypes(input, output).optModelPath(folder)
                .optEngine("PyTorch").optTranslatorFactory(new SuncetTranslatorFactory());
        for (int i = 0; i < arguments.length; i += 2) {
            builder.optArgument(arguments[i], arguments[i + 1]);
        }
        return builder.build();
    }

    @Test
    void aClassifierGivesTheClassOfItsLargestLogitWithSoftmaxProbabilities(@TempDir Path folder) throws Exception {
        writeModel(folder.resolve("model"), SuncetBlockFactory.FINE_TUNE);
        Path file = png(folder);
        try (ZooModel<Path, Classifications> model = criteria(Path.class, Classifications.class, folder.resolve("model")).loadModel();
                Predictor<Path, Classifications> predictor = model.newPredictor();
                NDManager manager = NDManager.newBaseManager()) {
            Classifications result = predictor.predict(file);
            float[] logits = reference(model, file, manager).singletonOrThrow().toFloatArray();
            assertEquals(CLASSES.size(), logits.length);
            int argmax = 0;
            for (int i = 1; i < logits.length; i++) {
                argmax = logits[i] > logits[argmax] ? i : argmax;
            }
            assertEquals(CLASSES.get(argmax), result.best().getClassName());
            float[] probabilities = manager.create(logits).softmax(0).toFloatArray();
            for (int i = 0; i < CLASSES.size(); i++) {
                assertEquals(probabilities[i], result.get(CLASSES.get(i)).getProbability(), 0.0);
            }
        }
    }

    @Test
    void aPreTrainedModelGivesItsFeaturesOrItsProjectionBitForBit(@TempDir Path folder) throws Exception {
        writeModel(folder.resolve("model"), SuncetBlockFactory.CONTRASTIVE);
        Path file = png(folder);
        try (ZooModel<Image, float[]> model = criteria(Image.class, float[].class, folder.resolve("model")).loadModel();
                Predictor<Image, float[]> predictor = model.newPredictor();
                NDManager manager = NDManager.newBaseManager()) {
            NDList expected = reference(model, file, manager);
            assertArrayEquals(expected.get(0).toFloatArray(), predictor.predict(ImageFactory.getInstance().fromFile(file)), 0f);
            List<float[]> batch = predictor.batchPredict(List.of(
                    ImageFactory.getInstance().fromFile(file), ImageFactory.getInstance().fromFile(file)));
            assertEquals(expected.get(0).size(), batch.get(1).length);
        }
        try (ZooModel<Path, float[]> model = criteria(Path.class, float[].class, folder.resolve("model"), "embedding", "z").loadModel();
                Predictor<Path, float[]> predictor = model.newPredictor();
                NDManager manager = NDManager.newBaseManager()) {
            float[] z = predictor.predict(file);
            assertEquals(128, z.length);
            assertArrayEquals(reference(model, file, manager).get(1).toFloatArray(), z, 0f);
        }
    }

    @Test
    void askingForWhatTheNetworkLacksIsRefusedWithTheReason(@TempDir Path folder) throws Exception {
        writeModel(folder.resolve("pretrained"), SuncetBlockFactory.CONTRASTIVE);
        writeModel(folder.resolve("classifier"), SuncetBlockFactory.LINEAR_PROBE);
        assertRefused(criteria(Path.class, Classifications.class, folder.resolve("pretrained")), "has no classifier");
        assertRefused(criteria(Path.class, float[].class, folder.resolve("pretrained"), "embedding", "logits"),
                "embedding must be h or z");
        assertRefused(criteria(Path.class, float[].class, folder.resolve("classifier"), "embedding", "h"),
                "embedding must be logits");
        Files.delete(folder.resolve("classifier").resolve("synset.txt"));
        assertRefused(criteria(Path.class, Classifications.class, folder.resolve("classifier")), "synset.txt");
        Files.write(folder.resolve("classifier").resolve("synset.txt"), List.of("a", "b"), StandardCharsets.UTF_8);
        assertRefused(criteria(Path.class, Classifications.class, folder.resolve("classifier")), "numClasses=3");
    }

    private static void assertRefused(Criteria<?, ?> criteria, String reason) {
        ModelNotFoundException e = assertThrows(ModelNotFoundException.class, criteria::loadModel);
        Throwable cause = e;
        StringBuilder messages = new StringBuilder();
        while (cause != null) {
            messages.append(cause.getMessage()).append(" / ");
            cause = cause.getCause();
        }
        assertTrue(messages.toString().contains(reason), messages.toString());
    }
}
