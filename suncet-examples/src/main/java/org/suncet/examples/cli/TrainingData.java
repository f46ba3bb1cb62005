package org.suncet.examples.cli;

import ai.djl.ndarray.NDManager;
import ai.djl.training.dataset.Dataset;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.suncet.augment.SeededPermutation;
import org.suncet.examples.data.DebianFashionMnist;
import org.suncet.examples.data.ImageData;
import org.suncet.train.LabelSplit;

/**
 * The data of a run as its resolved configuration names it: the training and test images, seeded
 * subsets of them when {@code train-images} / {@code test-images} are not 0, and the class-balanced
 * labeled split ({@code label-fraction}, chosen by {@code seed}).
 *
 * <p>Keys read: {@code data} ({@code fashion-mnist}, {@code image-folder} with {@code
 * image-folder}, {@code cifar10}), {@code data-dir}, {@code image-size}, {@code test-folder}, {@code
 * holdout-fraction}, {@code train-images}, {@code test-images}, {@code label-fraction}, {@code
 * seed}. Keys that are missing or empty (runs made before they existed) mean "not given".
 *
 * <p><b>Test images.</b> Fashion-MNIST and CIFAR-10 have official test splits. An image folder has
 * none, so its held-out images come from one of:
 *
 * <ul>
 *   <li>{@code --test-folder PATH}: a second folder with the same class sub-folders (same names;
 *       each class may hold any number of images), for example a {@code train/} and {@code test/}
 *       pair: {@code --data image-folder data/train --test-folder data/test};
 *   <li>{@code --holdout-fraction F}, F in (0, 1): a seeded, class-stratified hold-out of the folder
 *       itself. Each class with n images gives {@code clamp(round(F·n), 1, n − 1)} of them, chosen
 *       by a {@link SeededPermutation} of that class's images seeded with {@code seed + 2 + class},
 *       to the test set; the rest are the training images (and the labeled split is drawn from
 *       them). A class needs at least 2 images.
 * </ul>
 *
 * <p>With neither, accuracy is measured on the training images themselves: the program says so on
 * every run ({@link #note}) and the run folder records it under {@code test-set} in its
 * configuration ({@link #testSet}); the test images are then the training images as {@code
 * train-images} chose them. The two flags exclude each other and are refused with the other data
 * sets.
 *
 * @param train the training images (all of them unlabeled images)
 * @param test the test images
 * @param split the labeled subset of {@code train}
 * @param heldOut whether {@code test} is held out from training (false: it is {@code train})
 * @param unreadable the image files skipped as unreadable ({@code skip-unreadable}), training
 *     folder first; empty when none was or the data is not an image folder
 */
public record TrainingData(ImageData train, ImageData test, LabelSplit split, boolean heldOut, List<Path> unreadable) {

    /**
     * The configuration key {@code --skip-unreadable} sets to {@code true}; absent when not given,
     * so that runs made before it resume unchanged.
     */
    public static final String SKIP_UNREADABLE = "skip-unreadable";

    /** The configuration key recording how many unreadable images a {@link #SKIP_UNREADABLE} run skipped. */
    public static final String UNREADABLE_IMAGES = "unreadable-images";

    /** What the usage help says of {@code --skip-unreadable}. */
    public static final String SKIP_UNREADABLE_HELP =
            "skip image files that cannot be decoded (counted, printed and recorded as unreadable-images)";

    /** The data sets the {@code --data} flag accepts. */
    public static final String DATA_SETS = "fashion-mnist | image-folder PATH | cifar10";

    /** What {@code --help} says about the data options, after the usage line. */
    public static final String HELP =
            "data (--data):\n"
                    + "  fashion-mnist      Debian's dataset-fashion-mnist files in --data-dir; its official test split\n"
                    + "  image-folder PATH  one sub-folder of images per class, resized to --image-size; test images from\n"
                    + "                     --test-folder PATH (the same class sub-folders) or --holdout-fraction F in (0, 1)\n"
                    + "                     (seeded, class-stratified); with neither, accuracy is measured on the training\n"
                    + "                     images, which the run prints and records as test-set in its configuration\n"
                    + "  cifar10            DJL downloads it once (network needed); offline it must be in DJL's cache\n";

    /** The {@link #testSet} of an image folder without held-out images. */
    public static final String TRAINING_IMAGES = "training images (no held-out data)";

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
        boolean testFolder = options.has("test-folder");
        boolean holdout = options.has("holdout-fraction");
        if ((testFolder || holdout) && !data.equals("image-folder")) {
            throw new IllegalArgumentException(
                    (testFolder ? "--test-folder" : "--holdout-fraction") + " applies to --data image-folder only; "
                            + data + " has its own test split");
        }
        if (testFolder && holdout) {
            throw new IllegalArgumentException("--test-folder and --holdout-fraction exclude each other");
        }
        if (holdout && options.fraction("holdout-fraction") >= 1) {
            throw new IllegalArgumentException(
                    "--holdout-fraction must be in (0, 1), got " + options.text("holdout-fraction"));
        }
        options.fraction("label-fraction");
        options.integer("train-images", 0);
        options.integer("test-images", 0);
        options.integer("image-size", 8);
    }

    /**
     * Describes the test images a configuration names, as the run folder records it under {@code
     * test-set}: {@value #TRAINING_IMAGES} for an image folder without held-out images.
     *
     * @param configuration a run's resolved data configuration
     * @return one line
     */
    public static String testSet(Map<String, String> configuration) {
        switch (configuration.get("data")) {
            case "fashion-mnist":
                return "Fashion-MNIST test split";
            case "cifar10":
                return "CIFAR-10 test split";
            case "image-folder":
                if (given(configuration, "test-folder")) {
                    return "held-out folder " + configuration.get("test-folder");
                }
                if (given(configuration, "holdout-fraction")) {
                    return "seeded class-stratified hold-out of " + configuration.get("holdout-fraction")
                            + " of the image folder";
                }
                return TRAINING_IMAGES;
            default:
                throw new IllegalArgumentException(
                        "unknown dataset '" + configuration.get("data") + "'; --data takes " + DATA_SETS);
        }
    }

    /**
     * Returns the note a program prints when accuracy is measured on the training images, or an
     * empty string when the test images are held out.
     *
     * @param configuration a run's resolved data configuration
     * @return the note (one line) or ""
     */
    public static String note(Map<String, String> configuration) {
        if (!TRAINING_IMAGES.equals(testSet(configuration))) {
            return "";
        }
        return "note: accuracy is measured on the training images: image folder " + configuration.get("image-folder")
                + " has no held-out data (pretrain with --test-folder PATH or --holdout-fraction F to hold some out)";
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
        boolean heldOut = true;
        List<Path> unreadable = new ArrayList<>();
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
                Path root = Paths.get(configuration.get("image-folder"));
                int side = Integer.parseInt(configuration.get("image-size"));
                List<Path> trainSkipped = "true".equals(configuration.get(SKIP_UNREADABLE)) ? unreadable : null;
                train = ImageData.imageFolder(root, side, null, trainSkipped, manager);
                requireEveryClass(train, root, ImageData.imageFolderClasses(root));
                if (given(configuration, "test-folder")) {
                    Path testRoot = Paths.get(configuration.get("test-folder"));
                    List<String> classes = ImageData.imageFolderClasses(root);
                    test = ImageData.imageFolder(testRoot, side, classes, trainSkipped, manager);
                    noteEmptyClasses(test, testRoot, classes);
                } else if (given(configuration, "holdout-fraction")) {
                    ImageData all = train;
                    long[][] parts = holdOut(all, Double.parseDouble(configuration.get("holdout-fraction")), seed + 2,
                            ImageData.imageFolderClasses(root));
                    train = all.subset(parts[0], manager);
                    test = all.subset(parts[1], manager);
                    all.images().close();
                } else {
                    test = train;
                    heldOut = false;
                }
                break;
            case "cifar10":
                try {
                    train = ImageData.cifar10(Dataset.Usage.TRAIN, manager);
                    test = ImageData.cifar10(Dataset.Usage.TEST, manager);
                } catch (IOException e) {
                    throw new IllegalArgumentException(e.getMessage(), e);
                }
                break;
            default:
                throw new IllegalArgumentException("unknown dataset '" + data + "'; --data takes " + DATA_SETS);
        }
        train = subset(train, Integer.parseInt(configuration.get("train-images")), seed, manager, "--train-images");
        if (!heldOut) {
            test = train; // the images trained on, after --train-images
        }
        test = subset(test, Integer.parseInt(configuration.get("test-images")), seed + 1, manager, "--test-images");
        float fraction = Float.parseFloat(configuration.get("label-fraction"));
        LabelSplit split = LabelSplit.balanced(train.labels(), fraction, seed);
        return new TrainingData(train, test, split, heldOut, List.copyOf(unreadable));
    }

    /**
     * Refuses a training folder with a class that has no (readable) image: the class-balanced
     * sampler draws images of every class, and the labeled split takes some of each.
     */
    private static void requireEveryClass(ImageData data, Path root, List<String> classes) {
        long[] counts = new long[data.numClasses()];
        for (long label : data.labels()) {
            counts[Math.toIntExact(label)]++;
        }
        List<String> empty = new ArrayList<>();
        for (int c = 0; c < counts.length; c++) {
            if (counts[c] == 0) {
                empty.add(classes.get(c));
            }
        }
        if (!empty.isEmpty()) {
            throw new IllegalArgumentException("image folder " + root + " has class sub-folders without a readable image "
                    + empty + "; the class-balanced sampler needs images of every class: add images or remove them");
        }
    }

    /** Prints a one-line note naming the classes a test folder has no image of. */
    private static void noteEmptyClasses(ImageData data, Path root, List<String> classes) {
        boolean[] seen = new boolean[data.numClasses()];
        for (long label : data.labels()) {
            seen[Math.toIntExact(label)] = true;
        }
        List<String> empty = new ArrayList<>();
        for (int c = 0; c < seen.length; c++) {
            if (!seen[c]) {
                empty.add(classes.get(c));
            }
        }
        if (!empty.isEmpty()) {
            System.out.println("note: test folder " + root + " has no image of the classes " + empty
                    + "; accuracy is measured on the other classes");
        }
    }

    /** Fashion-MNIST's class names in label order (Xiao et al. 2017, arXiv 1708.07747, Table 1). */
    public static final List<String> FASHION_MNIST_CLASSES = List.of(
            "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    /** CIFAR-10's class names in label order (Krizhevsky 2009, {@code batches.meta}). */
    public static final List<String> CIFAR10_CLASSES = List.of(
            "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck");

    /**
     * The class names of the data a configuration names, in label order: label {@code i} is name
     * {@code i}. An image folder's are its class sub-folders ({@link ImageData#imageFolderClasses}).
     *
     * @param configuration a run's resolved data configuration
     * @return the names
     * @throws IOException if an image folder cannot be listed
     */
    public static List<String> classNames(Map<String, String> configuration) throws IOException {
        switch (configuration.get("data")) {
            case "fashion-mnist":
                return FASHION_MNIST_CLASSES;
            case "cifar10":
                return CIFAR10_CLASSES;
            case "image-folder":
                return ImageData.imageFolderClasses(Paths.get(configuration.get("image-folder")));
            default:
                throw new IllegalArgumentException(
                        "unknown dataset '" + configuration.get("data") + "'; --data takes " + DATA_SETS);
        }
    }

    /**
     * Splits {@code data} into training and held-out indices, class by class (see the class
     * javadoc).
     *
     * @param data the images
     * @param fraction F in (0, 1)
     * @param seed the seed of class 0 (class c uses {@code seed + c})
     * @param classes the class names, for messages
     * @return {training indices, held-out indices}, each ascending
     */
    static long[][] holdOut(ImageData data, double fraction, long seed, List<String> classes) {
        List<List<Long>> byClass = new ArrayList<>();
        for (int c = 0; c < data.numClasses(); c++) {
            byClass.add(new ArrayList<>());
        }
        long[] labels = data.labels();
        for (int i = 0; i < labels.length; i++) {
            byClass.get(Math.toIntExact(labels[i])).add((long) i);
        }
        List<Long> kept = new ArrayList<>();
        List<Long> held = new ArrayList<>();
        for (int c = 0; c < byClass.size(); c++) {
            List<Long> members = byClass.get(c);
            int n = members.size();
            if (n < 2) {
                throw new IllegalArgumentException(
                        "--holdout-fraction needs at least 2 images in every class (one to train on, one to test);"
                                + " class '" + classes.get(c) + "' has " + n);
            }
            int h = (int) Math.max(1, Math.min(n - 1, Math.round(fraction * n)));
            long[] order = SeededPermutation.of(n, seed + c);
            for (int j = 0; j < n; j++) {
                (j < h ? held : kept).add(members.get(Math.toIntExact(order[j])));
            }
        }
        return new long[][] {sorted(kept), sorted(held)};
    }

    private static long[] sorted(List<Long> indices) {
        long[] out = indices.stream().mapToLong(Long::longValue).toArray();
        Arrays.sort(out);
        return out;
    }

    private static boolean given(Map<String, String> configuration, String key) {
        String value = configuration.get(key);
        return value != null && !value.isEmpty();
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
