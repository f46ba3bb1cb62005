package org.suncet.examples.data;

import ai.djl.basicdataset.cv.classification.FashionMnist;
import ai.djl.ndarray.NDManager;
import ai.djl.repository.Repository;
import ai.djl.training.dataset.Dataset;
import ai.djl.util.JsonUtils;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Fashion-MNIST (Xiao et al. 2017, arXiv 1708.07747) through DJL's own {@link FashionMnist}, read
 * offline from the files of Debian's package {@code dataset-fashion-mnist}.
 *
 * <p>DJL looks its data sets up in a repository; this class writes a local repository (a {@code
 * metadata.json} whose artifact lists the four {@code .gz} files by absolute {@code file:} URI) and
 * points {@code FashionMnist} at it, so nothing is downloaded. The sizes are checked after loading
 * (60,000 training and 10,000 test images): DJL reads a wrong file without complaint.
 *
 * <p>Images come as {@code [28, 28, 1]} float32 in 0–255 and labels as float32 class ids, as DJL
 * gives them. A folder without the four files gets an {@link IllegalArgumentException} naming the
 * folder and how to install the package.
 */
public final class DebianFashionMnist {

    /** Where Debian's {@code dataset-fashion-mnist} puts the IDX files. */
    public static final Path DEFAULT_FOLDER = Paths.get("/usr/share/datasets/fashion-mnist");

    private static final String[][] FILES = {
        {"train_data", "train-images-idx3-ubyte.gz"},
        {"train_labels", "train-labels-idx1-ubyte.gz"},
        {"test_data", "t10k-images-idx3-ubyte.gz"},
        {"test_labels", "t10k-labels-idx1-ubyte.gz"}
    };

    private DebianFashionMnist() {}

    /**
     * Checks that {@code folder} holds the four IDX files, before a program touches its output
     * (so a wrong {@code --data} never costs an existing run).
     *
     * @param folder the folder that should hold the four {@code .gz} IDX files
     * @return the folder, absolute and normalised
     * @throws IllegalArgumentException naming the first missing file and how to install it
     */
    public static Path checkFolder(Path folder) {
        Path absolute = folder.toAbsolutePath().normalize();
        for (String[] file : FILES) {
            Path path = absolute.resolve(file[1]);
            if (!Files.isRegularFile(path)) {
                throw new IllegalArgumentException(
                        "Fashion-MNIST file "
                                + path
                                + " is missing; install Debian's package dataset-fashion-mnist"
                                + " (apt-get install dataset-fashion-mnist) or pass the folder that"
                                + " holds the four IDX .gz files");
            }
        }
        return absolute;
    }

    /**
     * Loads one split of Fashion-MNIST.
     *
     * @param folder the folder holding the four {@code .gz} IDX files
     * @param usage {@code TRAIN} or {@code TEST}
     * @param manager the manager that will own the data
     * @param repositoryRoot a writable folder for the local repository description
     * @return the prepared data set
     * @throws IOException if the files cannot be read
     * @throws IllegalArgumentException if a file is missing or the split has the wrong size
     */
    public static FashionMnist load(
            Path folder, Dataset.Usage usage, NDManager manager, Path repositoryRoot)
            throws IOException {
        Path absolute = checkFolder(folder);
        Map<String, Object> files = new LinkedHashMap<>();
        for (String[] file : FILES) {
            Path path = absolute.resolve(file[1]);
            Map<String, String> entry = new LinkedHashMap<>();
            entry.put("uri", path.toUri().toString());
            entry.put("name", file[0]);
            files.put(file[0], entry);
        }
        Path artifactFolder =
                repositoryRoot.resolve("dataset/cv/ai/djl/basicdataset/fashmnist");
        Files.createDirectories(artifactFolder);
        Map<String, Object> artifact = new LinkedHashMap<>();
        artifact.put("version", "1.0");
        artifact.put("snapshot", false);
        artifact.put("name", "fashmnist");
        artifact.put("files", files);
        Map<String, Object> description = new LinkedHashMap<>();
        description.put("metadataVersion", "0.2");
        description.put("resourceType", "dataset");
        description.put("application", "cv");
        description.put("groupId", "ai.djl.basicdataset");
        description.put("artifactId", "fashmnist");
        description.put("name", "fashmnist");
        description.put("artifacts", List.of(artifact));
        String metadata = JsonUtils.GSON_PRETTY.toJson(description) + "\n";
        Files.write(artifactFolder.resolve("metadata.json"), metadata.getBytes(StandardCharsets.UTF_8));
        FashionMnist dataset =
                FashionMnist.builder()
                        .optUsage(usage)
                        .optManager(manager)
                        .optRepository(Repository.newInstance("debian-fashion-mnist", repositoryRoot))
                        .setSampling(1000, false) // sequential batches of 1000 for getData
                        .build();
        try {
            dataset.prepare();
        } catch (ai.djl.translate.TranslateException e) {
            throw new IOException("could not prepare Fashion-MNIST from " + absolute, e);
        }
        long expected = usage == Dataset.Usage.TEST ? 10_000 : 60_000;
        if (dataset.size() != expected) {
            throw new IllegalArgumentException(
                    "Fashion-MNIST "
                            + usage
                            + " split from "
                            + absolute
                            + " has "
                            + dataset.size()
                            + " images, expected "
                            + expected);
        }
        return dataset;
    }
}
