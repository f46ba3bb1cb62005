package org.suncet.examples.data;

import ai.djl.Application;
import ai.djl.basicdataset.BasicDatasets;
import ai.djl.basicdataset.cv.classification.Cifar10;
import ai.djl.basicdataset.cv.classification.ImageFolder;
import ai.djl.modality.cv.transform.Resize;
import ai.djl.modality.cv.transform.ToTensor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.repository.MRL;
import ai.djl.training.dataset.Batch;
import ai.djl.training.dataset.Dataset;
import ai.djl.training.dataset.RandomAccessDataset;
import ai.djl.training.dataset.Record;
import ai.djl.translate.Pipeline;
import ai.djl.translate.TranslateException;
import ai.djl.util.Utils;
import java.io.IOException;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.suncet.train.ClassifierEvaluation;

/**
 * A labeled image set held as one tensor: {@code images [N, C, H, W]} float32 in [0, 1] on the
 * manager's device, and {@code labels} (class ids {@code 0 .. numClasses − 1}) on the host, where
 * samplers and label splits need them.
 *
 * <p>Sources: {@code fashion-mnist} (DJL's {@code FashionMnist} over Debian's package files, {@link
 * DebianFashionMnist}), {@code image-folder PATH} (DJL's {@code ImageFolder}: one sub-folder per
 * class, images resized to a square side), and {@code cifar10} (DJL's {@code Cifar10}, which DJL
 * downloads on first use: it needs network access once, and fails offline).
 *
 * @param images {@code [N, C, H, W]} float32 in [0, 1]
 * @param labels class ids, one per image
 * @param numClasses the number of classes
 */
public record ImageData(NDArray images, long[] labels, int numClasses) {

    private static final String CIFAR10_ARTIFACT = "cifar10";

    /** Checks the parts agree. */
    public ImageData {
        if (images.getShape().dimension() != 4 || images.getShape().get(0) != labels.length) {
            throw new IllegalArgumentException(
                    "images must be [N, C, H, W] with N = " + labels.length + " labels, got " + images.getShape());
        }
    }

    /**
     * Returns the number of images.
     *
     * @return N
     */
    public int size() {
        return labels.length;
    }

    /**
     * Gathers the images at {@code indices} on the images' device.
     *
     * @param manager the manager that will own the result (close it after the step)
     * @param indices row indices into this set
     * @return {@code [indices.length, C, H, W]}
     */
    public NDArray imagesAt(NDManager manager, long[] indices) {
        NDArray index = manager.create(indices).toDevice(images.getDevice(), false);
        NDArray rows = images.get(new NDIndex("{}", index));
        rows.attach(manager);
        return rows;
    }

    /**
     * Returns the labels at {@code indices}.
     *
     * @param indices row indices into this set
     * @return their class ids
     */
    public long[] labelsAt(long[] indices) {
        long[] out = new long[indices.length];
        for (int i = 0; i < indices.length; i++) {
            out[i] = labels[Math.toIntExact(indices[i])];
        }
        return out;
    }

    /**
     * Returns the images at {@code indices} as a set of their own.
     *
     * @param indices row indices into this set
     * @param manager the manager that owns the new images
     * @return the subset
     */
    public ImageData subset(long[] indices, NDManager manager) {
        return new ImageData(imagesAt(manager, indices), labelsAt(indices), numClasses);
    }

    /**
     * Returns a classifier's top-1 and top-5 accuracy on this set, in inference mode.
     *
     * @param classifier a block mapping images to logits
     * @return the accuracy
     */
    public ClassifierEvaluation.Result accuracyOf(Block classifier) {
        try (NDManager scope = images.getManager().newSubManager()) {
            NDArray ids = scope.create(labels).toDevice(images.getDevice(), false);
            return ClassifierEvaluation.builder().optBatchSize(500).build().evaluate(classifier, images, ids);
        }
    }

    /**
     * Loads Fashion-MNIST from the Debian package's folder.
     *
     * @param folder the folder of the four IDX {@code .gz} files
     * @param usage TRAIN or TEST
     * @param manager the manager that owns the images
     * @param scratch a writable folder for DJL's repository description
     * @return the images, {@code [N, 1, 28, 28]}
     * @throws IOException if the files cannot be read
     */
    public static ImageData fashionMnist(
            Path folder, Dataset.Usage usage, NDManager manager, Path scratch) throws IOException {
        try (NDManager loading = manager.newSubManager()) {
            RandomAccessDataset dataset = DebianFashionMnist.load(folder, usage, loading, scratch);
            return collect(dataset, manager, 10);
        }
    }

    /**
     * Loads a folder with one sub-folder per class through DJL's {@code ImageFolder}. The classes
     * are the sub-folders (names not starting with a dot) in name order, as {@link
     * #imageFolderClasses} lists them; label {@code i} is the {@code i}-th of them.
     *
     * @param root the folder
     * @param side the side every image is resized to
     * @param manager the manager that owns the images
     * @return the images, {@code [N, 3, side, side]}
     * @throws IllegalArgumentException if the folder is missing or holds fewer than 2 classes or no
     *     image
     * @throws IOException if the folder cannot be read
     */
    public static ImageData imageFolder(Path root, int side, NDManager manager) throws IOException {
        return imageFolder(root, side, null, manager);
    }

    /**
     * Loads a folder with one sub-folder per class, checking that its classes are {@code classes}
     * (a held-out folder must number its classes as the training folder does).
     *
     * @param root the folder
     * @param side the side every image is resized to
     * @param classes the class sub-folder names expected, in name order; null for any
     * @param manager the manager that owns the images
     * @return the images, {@code [N, 3, side, side]}
     * @throws IllegalArgumentException if the folder is missing, holds fewer than 2 classes or no
     *     image, or its classes are not {@code classes}
     * @throws IOException if the folder cannot be read
     */
    public static ImageData imageFolder(Path root, int side, List<String> classes, NDManager manager)
            throws IOException {
        return imageFolder(root, side, classes, null, manager);
    }

    /**
     * Loads a folder with one sub-folder per class, image by image, checking that its classes are
     * {@code classes}. A file with an image extension that cannot be decoded (a corrupt JPEG or PNG,
     * a text file named {@code .png}) either ends the load with a message naming it or, when {@code
     * unreadable} is given, is skipped and added to it.
     *
     * @param root the folder
     * @param side the side every image is resized to
     * @param classes the class sub-folder names expected, in name order; null for any
     * @param unreadable null to refuse an unreadable image; else the list the skipped files are added
     *     to, in load order
     * @param manager the manager that owns the images
     * @return the images, {@code [N, 3, side, side]}
     * @throws IllegalArgumentException if the folder is missing, holds fewer than 2 classes or no
     *     image, its classes are not {@code classes}, or (with {@code unreadable} null) an image
     *     cannot be read: {@code cannot read image FILE: CAUSE}
     * @throws IOException if the folder cannot be read
     */
    public static ImageData imageFolder(
            Path root, int side, List<String> classes, List<Path> unreadable, NDManager manager) throws IOException {
        PreparedFolder folder = preparedFolder(root, side);
        if (classes != null && !classes.equals(folder.classes())) {
            List<String> missing = new ArrayList<>(classes);
            missing.removeAll(folder.classes());
            List<String> extra = new ArrayList<>(folder.classes());
            extra.removeAll(classes);
            throw new IllegalArgumentException(
                    "--test-folder classes differ from the training folder's: missing " + missing + ", extra " + extra
                            + " (test folder " + root + ")");
        }
        return readImages(folder, side, unreadable, manager);
    }

    /**
     * The image files of a prepared folder in DJL's {@code ImageFolder} order (its item {@code i} is
     * file {@code i}): class by class, each class sub-folder walked one level deep, keeping the
     * visible files whose extension DJL takes for an image.
     */
    private static List<Path> imageFiles(Path root, List<String> classes) throws IOException {
        List<Path> files = new ArrayList<>();
        for (String name : classes) {
            Path folder = root.resolve(name);
            if (!Files.isDirectory(folder)) {
                continue;
            }
            try (java.util.stream.Stream<Path> walk = Files.walk(folder, 1)) {
                walk.filter(ImageData::isImage).forEach(path -> files.add(path.toAbsolutePath()));
            }
        }
        return files;
    }

    private static boolean isImage(Path path) {
        java.io.File file = path.toFile();
        String name = file.getName();
        int dot = name.lastIndexOf('.');
        return file.isFile() && !file.isHidden() && !name.startsWith(".") && dot >= 0
                && IMAGE_EXTENSIONS.contains(name.substring(dot).toLowerCase(java.util.Locale.ROOT));
    }

    /** The extensions DJL's {@code AbstractImageFolder} takes for images. */
    private static final java.util.Set<String> IMAGE_EXTENSIONS =
            java.util.Set.of(".jpg", ".jpeg", ".png", ".bmp", ".wbmp", ".gif");

    private static ImageData readImages(PreparedFolder folder, int side, List<Path> unreadable, NDManager manager)
            throws IOException {
        List<Path> files = imageFiles(folder.root(), folder.classes());
        if (files.size() != folder.dataset().size()) {
            throw new IllegalStateException("listed " + files.size() + " images under " + folder.root() + ", DJL "
                    + folder.dataset().size());
        }
        Pipeline transforms = new Pipeline(new Resize(side, side), new ToTensor());
        List<NDArray> images = new ArrayList<>();
        List<Long> labels = new ArrayList<>();
        try (NDManager loading = manager.newSubManager()) {
            for (int i = 0; i < files.size(); i++) {
                try (NDManager one = loading.newSubManager()) {
                    Record record;
                    try {
                        record = folder.dataset().get(one, i);
                    } catch (IOException | RuntimeException e) {
                        if (unreadable == null) {
                            throw new IllegalArgumentException(
                                    "cannot read image " + files.get(i) + ": " + cause(e, files.get(i)), e);
                        }
                        unreadable.add(files.get(i));
                        continue;
                    }
                    NDArray image = transforms.transform(record.getData()).head(); // [H, W, C] -> [C, side, side]
                    image.attach(loading);
                    images.add(image);
                    labels.add(record.getLabels().head().toType(DataType.INT64, false).getLong());
                }
            }
            if (images.isEmpty()) {
                throw new IllegalArgumentException("image folder " + folder.root() + " holds no readable image; "
                        + unreadable.size() + " unreadable, the first " + unreadable.get(0));
            }
            NDArray all = NDArrays.stack(new NDList(images)).toType(DataType.FLOAT32, false);
            all.attach(manager);
            return new ImageData(all, labels.stream().mapToLong(Long::longValue).toArray(), folder.classes().size());
        }
    }

    /** The cause of an unreadable image in a few words, without the path the message repeats. */
    private static String cause(Exception e, Path file) {
        String message = e.getMessage();
        if (message == null || message.isBlank()) {
            return e.getClass().getSimpleName();
        }
        if (message.contains(file.toString())) {
            return "not an image the JDK's decoders can read (" + e.getClass().getSimpleName() + ")";
        }
        return message.lines().findFirst().orElse(message);
    }

    /**
     * Returns the classes of an image folder in label order: its sub-folders whose names do not
     * start with a dot, sorted by name (as DJL's {@code ImageFolder} numbers them).
     *
     * @param root the folder
     * @return the class names
     * @throws IllegalArgumentException if the folder is missing or holds fewer than 2 classes or no
     *     image
     * @throws IOException if the folder cannot be read
     */
    public static List<String> imageFolderClasses(Path root) throws IOException {
        return preparedFolder(root, 8).classes();
    }

    private record PreparedFolder(Path root, ImageFolder dataset, List<String> classes) {}

    private static PreparedFolder preparedFolder(Path root, int side) throws IOException {
        if (!Files.isDirectory(root)) {
            throw new IllegalArgumentException("image folder " + root + " does not exist or is not a folder");
        }
        ImageFolder dataset =
                ImageFolder.builder()
                        .setRepositoryPath(root)
                        .addTransform(new Resize(side, side))
                        .addTransform(new ToTensor())
                        .setSampling(256, false)
                        .build();
        List<String> classes;
        try {
            dataset.prepare();
            classes = List.copyOf(dataset.getSynset());
        } catch (TranslateException e) {
            throw new IOException("could not read images under " + root, e);
        }
        if (dataset.size() == 0 || classes.size() < 2) {
            throw new IllegalArgumentException(
                    "image folder " + root + " must hold at least 2 class sub-folders with images, found "
                            + classes.size() + " classes and " + dataset.size() + " images");
        }
        return new PreparedFolder(root, dataset, classes);
    }

    /**
     * Whether DJL's cache holds CIFAR-10 (it has downloaded it once), so that {@link #cifar10} can
     * work offline. Looks for the data set's {@code metadata.json} under DJL's cache folder ({@code
     * DJL_CACHE_DIR}, by default {@code ~/.djl.ai}); reads nothing from the network.
     *
     * @return true if DJL has the data set's description in its cache
     * @throws IOException if the cache folder cannot be determined
     */
    public static boolean cifar10Cached() throws IOException {
        return Files.isRegularFile(cifar10CacheFolder().resolve("metadata.json"));
    }

    /**
     * The folder of DJL's cache where CIFAR-10 goes once downloaded.
     *
     * @return the folder (it may not exist)
     * @throws IOException if the cache folder cannot be determined
     */
    public static Path cifar10CacheFolder() throws IOException {
        MRL mrl = BasicDatasets.REPOSITORY.dataset(Application.CV.ANY, BasicDatasets.GROUP_ID, CIFAR10_ARTIFACT, "1.0");
        return BasicDatasets.REPOSITORY.getCacheDirectory().resolve(mrl.toURI().getPath());
    }

    /**
     * Loads CIFAR-10 through DJL's {@code Cifar10}; DJL downloads it on first use (network needed).
     * Offline ({@code -Dai.djl.offline=true} or {@code DJL_OFFLINE=true}) without the data in DJL's
     * cache ({@link #cifar10Cached()}) it fails at once, without trying the network (DJL's
     * downloader ignores the offline switch).
     *
     * @param usage TRAIN or TEST
     * @param manager the manager that owns the images
     * @return the images, {@code [N, 3, 32, 32]}
     * @throws IOException if DJL cannot download or read it; the message is one line and says how to
     *     get the data
     */
    public static ImageData cifar10(Dataset.Usage usage, NDManager manager) throws IOException {
        if (Utils.isOfflineMode() && !cifar10Cached()) {
            throw new IOException(cifar10Missing("DJL runs offline (ai.djl.offline=true) and its cache "
                    + cifar10CacheFolder() + " does not hold it"));
        }
        try (NDManager loading = manager.newSubManager()) {
            Cifar10 dataset =
                    Cifar10.builder()
                            .optUsage(usage)
                            .optManager(loading)
                            .addTransform(new ToTensor())
                            .setSampling(1000, false)
                            .build();
            dataset.prepare();
            return collect(dataset, manager, 10);
        } catch (IOException | TranslateException e) {
            Throwable cause = e;
            while (cause.getCause() != null && !(cause instanceof UnknownHostException)) {
                cause = cause.getCause();
            }
            String reason = cause instanceof UnknownHostException
                    ? "DJL could not reach " + cause.getMessage() + " to download it (no network)"
                    : "DJL could not download or read it: " + firstLine(e.toString());
            throw new IOException(cifar10Missing(reason), e);
        }
    }

    private static String cifar10Missing(String reason) {
        return "cifar10 needs a download: " + reason + "; run once with network access and without"
                + " -Dai.djl.offline=true so that DJL downloads it (about 170 MB) into its cache (DJL_CACHE_DIR),"
                + " or use --data image-folder PATH (one sub-folder of images per class) or --data fashion-mnist";
    }

    private static String firstLine(String text) {
        return text.lines().findFirst().orElse("");
    }

    private static ImageData collect(RandomAccessDataset dataset, NDManager manager, int classes)
            throws IOException {
        List<NDArray> images = new ArrayList<>();
        List<NDArray> labels = new ArrayList<>();
        try (NDManager batches = manager.newSubManager()) {
            for (Batch batch : dataset.getData(batches)) {
                try (batch) {
                    NDArray data = batch.getData().head();
                    NDArray label = batch.getLabels().head();
                    data.attach(batches);
                    label.attach(batches);
                    images.add(data);
                    labels.add(label);
                }
            }
            NDArray all = NDArrays.concat(new NDList(images)).toType(DataType.FLOAT32, false);
            long[] ids = NDArrays.concat(new NDList(labels)).toType(DataType.INT64, false).toLongArray();
            all.attach(manager);
            return new ImageData(all, ids, classes);
        } catch (TranslateException e) {
            throw new IOException("could not read the data set", e);
        }
    }
}
