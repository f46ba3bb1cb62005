package org.suncet.examples.cli;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.suncet.models.ResNetDepth;
import org.suncet.train.LabelSplit;

/**
 * The checks a training command makes before it touches its run folder, each failing with one
 * line that names the command-line option the user typed ({@code --images-per-class}, not the
 * library's {@code imagesPerClass}): the library's own checks (the ResNet builder, the support
 * sampler, the learning-rate schedule) would catch the same values, but later, after the run
 * folder was opened, and in the library's words.
 */
final class OptionChecks {

    /**
     * The largest base learning rate a command accepts: over 10,000 times the recipes' defaults (0.05
     * to 0.075). LARS keeps tiny runs finite up to about 1e4 on our CPUs, SGD up to about 1e3, and
     * rates such as 1e30 diverge within the first epoch; no setting trains usefully near the bound,
     * so a larger value is taken for a typo and refused before the run folder is touched.
     */
    static final float MAX_LEARNING_RATE = 1000f;

    private OptionChecks() {}

    /**
     * A base learning rate {@code --NAME} in (0, {@value #MAX_LEARNING_RATE}].
     *
     * @param options the parsed flags
     * @param name the option without {@code --}
     * @return its value
     */
    static float learningRate(Options options, String name) {
        float rate = options.positive(name);
        if (rate > MAX_LEARNING_RATE) {
            throw new IllegalArgumentException("--" + name + " must be a base learning rate in (0, " + (int) MAX_LEARNING_RATE
                    + "], got " + options.text(name) + " (the defaults are 0.05 to 0.075)");
        }
        return rate;
    }

    /**
     * Checks a ResNet depth and width multiplier as the ResNet builder would.
     *
     * @param depthOption the option the depth came from, such as {@code --depth}
     * @param depth the depth
     * @param widthOption the option the width came from
     * @param width the width multiplier, already checked to be finite and &gt; 0
     */
    static void network(String depthOption, int depth, String widthOption, float width) {
        if (Arrays.stream(ResNetDepth.values()).noneMatch(d -> d.getDepth() == depth)) {
            String depths = Arrays.stream(ResNetDepth.values()).map(d -> Integer.toString(d.getDepth()))
                    .collect(Collectors.joining(", "));
            throw new IllegalArgumentException(depthOption + " must be one of " + depths + " (ResNet depths), got " + depth);
        }
        if (2048.0 * width > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(widthOption + " " + width
                    + " is too large: the widest layer (2048 x the width) would have more channels than an int holds");
        }
    }

    /**
     * Checks that {@code epochs} of {@code stepsPerEpoch} steps fit the optimizer's step counter (an
     * int): {@code --epochs 2147483647} would overflow it.
     *
     * @param epochs {@code --epochs}
     * @param stepsPerEpoch the steps of one epoch, ≥ 1
     * @param how what sets the steps, such as {@code "--batch 32 of 128 training images"}
     */
    static void totalSteps(int epochs, long stepsPerEpoch, String how) {
        long most = Integer.MAX_VALUE / Math.max(1, stepsPerEpoch);
        if (epochs > most) {
            throw new IllegalArgumentException("--epochs " + epochs + " is too many: at " + stepsPerEpoch + " steps an epoch ("
                    + how + ") the run would take more than " + Integer.MAX_VALUE + " steps; --epochs must be <= " + most);
        }
    }

    /**
     * Checks SuNCEt's support sampler settings against the labeled split: {@code
     * --classes-per-step} classes of {@code --images-per-class} labeled images each, every step.
     *
     * @param classesPerStep {@code --classes-per-step}
     * @param imagesPerClass {@code --images-per-class}
     * @param split the labeled split
     * @param classNames the class names, by label
     * @param data the data set, as {@code --data} names it
     */
    static void supportSampler(int classesPerStep, int imagesPerClass, LabelSplit split, List<String> classNames, String data) {
        Map<Long, Integer> counts = split.countsPerClass();
        if (classesPerStep > counts.size()) {
            throw new IllegalArgumentException("--classes-per-step " + classesPerStep + " is larger than the " + counts.size()
                    + " classes of " + data + " that have labeled images");
        }
        Map.Entry<Long, Integer> smallest = counts.entrySet().stream().min(Map.Entry.comparingByValue()).orElseThrow();
        if (imagesPerClass > smallest.getValue()) {
            long label = smallest.getKey();
            String name = label < classNames.size() ? "'" + classNames.get(Math.toIntExact(label)) + "'" : Long.toString(label);
            throw new IllegalArgumentException("--images-per-class must be in [2, " + smallest.getValue() + "], got "
                    + imagesPerClass + ": class " + name + " has " + smallest.getValue()
                    + " labeled images (lower --images-per-class or raise --label-fraction)");
        }
    }
}
