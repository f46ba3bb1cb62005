package org.suncet.examples.data;

import ai.djl.basicdataset.cv.classification.Cifar10;
import ai.djl.basicdataset.cv.classification.ImageFolder;
import ai.djl.modality.cv.transform.Resize;
import ai.djl.modality.cv.transform.ToTensor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Block;
import org.suncet.train.ClassifierEvaluation;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.dataset.Batch;
import ai.djl.training.dataset.Dataset;
import ai.djl.training.dataset.RandomAccessDataset;
import ai.djl.translate.TranslateException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

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
     * Loads a folder with one sub-folder per class through DJL's {@code ImageFolder}.
     *
     * @param root the folder
     * @param side the side every image is resized to
     * @param manager the manager that owns the images
     * @return the images, {@code [N, 3, side, side]}
     * @throws IOException if the folder cannot be read
     */
    public static ImageData imageFolder(Path root, int side, NDManager manager) throws IOException {
        if (!Files.isDirectory(root)) {
            throw new IllegalArgumentException("image folder " + root + " does not exist or is not a folder");
        }
        try {
            ImageFolder dataset =
                    ImageFolder.builder()
                            .setRepositoryPath(root)
                            .addTransform(new Resize(side, side))
                            .addTransform(new ToTensor())
                            .setSampling(256, false)
                            .build();
            dataset.prepare();
            if (dataset.size() == 0 || dataset.getSynset().size() < 2) {
                throw new IllegalArgumentException(
                        "image folder " + root + " must hold at least 2 class sub-folders with images, found "
                                + dataset.getSynset().size() + " classes and " + dataset.size() + " images");
            }
            return collect(dataset, manager, dataset.getSynset().size());
        } catch (TranslateException e) {
            throw new IOException("could not read images under " + root, e);
        }
    }

    /**
     * Loads CIFAR-10 through DJL's {@code Cifar10}; DJL downloads it on first use (network needed).
     *
     * @param usage TRAIN or TEST
     * @param manager the manager that owns the images
     * @return the images, {@code [N, 3, 32, 32]}
     * @throws IOException if DJL cannot download or read it
     */
    public static ImageData cifar10(Dataset.Usage usage, NDManager manager) throws IOException {
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
            throw new IOException(
                    "cifar10 needs network access the first time (DJL downloads it); got " + e, e);
        }
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
