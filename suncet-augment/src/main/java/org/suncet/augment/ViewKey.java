package org.suncet.augment;

import java.util.SplittableRandom;

/**
 * Which view is being drawn: the training epoch, the sample's index in the dataset and the view's index
 * among the views of that sample. Together with a transform's seed it fixes the view's random
 * parameters, so a view does not depend on thread count, batch order or device (the reproducibility
 * rule of suncet's augmentation, after kornia's "draw parameters first, apply second").
 *
 * <p>The stream is {@code new SplittableRandom(h)} with {@code h} a SplitMix64 hash chain over
 * {@code (seed, stream, epoch, sampleIndex, viewIndex)}: {@code h = mix(h + GOLDEN + value)} per value,
 * {@code mix} the SplitMix64 finaliser (Steele, Lea and Flood 2014). The {@code stream} separates
 * transforms that share a seed.
 *
 * @param epoch training epoch, {@code >= 0}
 * @param sampleIndex the sample's index in the dataset, {@code >= 0}
 * @param viewIndex the view's index, {@code >= 0}
 */
public record ViewKey(long epoch, long sampleIndex, int viewIndex) {

    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    /**
     * Checks the key.
     *
     * @throws IllegalArgumentException if a component is negative
     */
    public ViewKey {
        if (epoch < 0 || sampleIndex < 0 || viewIndex < 0) {
            throw new IllegalArgumentException("view key needs epoch, sampleIndex and viewIndex >= 0, got epoch="
                    + epoch + ", sampleIndex=" + sampleIndex + ", viewIndex=" + viewIndex);
        }
    }

    /**
     * The random stream of this view for a transform with the given seed and stream id.
     *
     * @param seed the transform's seed
     * @param stream an id that separates transforms sharing a seed
     * @return a fresh generator; equal arguments give equal sequences
     */
    public SplittableRandom random(long seed, long stream) {
        long h = mix(seed + GOLDEN);
        for (long value : new long[] {stream, epoch, sampleIndex, viewIndex}) {
            h = mix(h + GOLDEN + value);
        }
        return new SplittableRandom(h);
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
