package org.suncet.examples.cli;

import ai.djl.ndarray.NDManager;
import ai.djl.training.dataset.Dataset;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;
import org.suncet.examples.data.DebianFashionMnist;
import org.suncet.examples.data.ImageData;
import org.suncet.examples.recipe.SeededPermutation;
import org.suncet.train.LabelSplit;

/**
 * The data of a run as its resolved configuration names it: the training and test images, seeded
 * subsets of them when {@code train-images} / {@code test-images} are not 0, and the class-balanced
 * labeled split ({@code label-fraction}, chosen by {@code seed}).
 *
 * <p>Keys read: {@code data} ({@code fashion-mnist}, {@code image-folder} with {@code
 * image-folder}, {@code cifar10}), {@code data-dir}, {@code image-size}, {@code train-images},
 * {@code test-images}, {@code label-fraction}, {@code seed}. An image folder has no test split: its
 * test images are its training images, which the program says.
 *
 * @param train the training images (all of them unlabeled images)
 * @param test the test images
 * @param split the labeled subset of {@code train}
 */
public record TrainingData(ImageData train, ImageData test, LabelSplit split) {

    /** The data sets the {@code --data} flag accepts. */
    public static final String DATA_SETS = "fashion-mnist | image-folder PATH | cifar10";

    /**
     * Checks the data options without loading anything.
     *
     * @param options the parsed flags
     */
    public static void check(Options options) {
        String data = options.text("data");
        if (!data.equals("fashion-mnist") && !data.equals("image-folder") && !data.equals("cifar10")) {
            throw new IllegalArgumentException("unknown dataset '" + data + "'; --data takes " + DATA_SETS);
        }
        options.fraction("label-fraction");
        options.integer("train-images", 0);
        options.integer("test-images", 0);
        options.integer("image-size", 8);
    }

    /**
     * Loads the data a configuration names.
     *
     * @param configuration the run's resolved configuration
     * @param manager owns the images
     * @return the data
     * @throws IOException if reading fails
     */
    public static TrainingData load(Map<String, String> configuration, NDManager manager) throws IOException {
        String data = configuration.get("data");
        long seed = Long.parseLong(configuration.get("seed"));
        ImageData train;
        ImageData test;
        switch (data) {
            case "fashion-mnist":
                Path folder = Paths.get(configuration.get("data-dir"));
                if (!Files.isDirectory(folder)) {
                    throw new IllegalArgumentException(
                            "Fashion-MNIST folder " + folder + " does not exist; install Debian's package"
                                    + " dataset-fashion-mnist or pass --data-dir FOLDER");
                }
                Path scratch = Files.createTempDirectory("suncet-djl-repository");
                try {
                    train = ImageData.fashionMnist(folder, Dataset.Usage.TRAIN, manager, scratch);
                    test = ImageData.fashionMnist(folder, Dataset.Usage.TEST, manager, scratch);
                } finally {
                    deleteTree(scratch);
                }
                break;
            case "image-folder":
                train = ImageData.imageFolder(
                        Paths.get(configuration.get("image-folder")), Integer.parseInt(configuration.get("image-size")), manager);
                test = train;
                break;
            case "cifar10":
                try {
                    train = ImageData.cifar10(Dataset.Usage.TRAIN, manager);
                    test = ImageData.cifar10(Dataset.Usage.TEST, manager);
                } catch (IOException e) {
                    throw new IllegalArgumentException(
                            "cifar10 needs network access once (DJL downloads it on first use) and could not get it: "
                                    + e.getMessage().lines().findFirst().orElse(""), e);
                }
                break;
            default:
                throw new IllegalArgumentException("unknown dataset '" + data + "'; --data takes " + DATA_SETS);
        }
        train = subset(train, Integer.parseInt(configuration.get("train-images")), seed, manager, "--train-images");
        test = subset(test, Integer.parseInt(configuration.get("test-images")), seed + 1, manager, "--test-images");
        float fraction = Float.parseFloat(configuration.get("label-fraction"));
        LabelSplit split = LabelSplit.balanced(train.labels(), fraction, seed);
        return new TrainingData(train, test, split);
    }

    /**
     * The labeled images of the split.
     *
     * @param manager owns the selection
     * @return the labeled training images
     */
    public ImageData labeled(NDManager manager) {
        return train.subset(split.indices(), manager);
    }

    private static ImageData subset(ImageData data, int size, long seed, NDManager manager, String flag) {
        if (size == 0 || size == data.size()) {
            return data;
        }
        if (size > data.size()) {
            throw new IllegalArgumentException(flag + " must be <= " + data.size() + " (the images there are), got " + size);
        }
        long[] chosen = Arrays.copyOf(SeededPermutation.of(data.size(), seed), size);
        Arrays.sort(chosen);
        return data.subset(chosen, manager);
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
