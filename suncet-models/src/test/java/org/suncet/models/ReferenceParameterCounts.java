package org.suncet.models;

/**
 * Trainable-parameter counts of the ResNets written out as plain arithmetic from the architecture's
 * definition (He et al. 2016; SimCLR/SimCLRv2 options), independent of the block code. Checked
 * against torchvision's published counts in {@link ResNetParameterCountTest}.
 */
final class ReferenceParameterCounts {

    private static final int[][] BLOCKS = {
        {2, 2, 2, 2}, {3, 4, 6, 3}, {3, 4, 6, 3}, {3, 4, 23, 3}, {3, 8, 36, 3}, {3, 24, 36, 3}
    };
    private static final int[] DEPTHS = {18, 34, 50, 101, 152, 200};

    private ReferenceParameterCounts() {}

    static long conv(long in, long out, long kernel) {
        return in * out * kernel * kernel;
    }

    static long bn(long channels) {
        return 2 * channels;
    }

    static long resnet(int depth, double width, boolean cifar, float skRatio, int inputChannels) {
        int index = java.util.Arrays.binarySearch(DEPTHS, depth);
        boolean bottleneck = depth >= 50;
        boolean sk = skRatio > 0;
        long[] widths = new long[4];
        for (int i = 0; i < 4; i++) {
            widths[i] = Math.max(1, Math.round(64 * (1 << i) * width));
        }
        long stem = widths[0];
        long count;
        if (cifar) {
            count = conv(inputChannels, stem, 3) + bn(stem);
        } else if (sk) {
            long half = Math.max(1, stem / 2);
            count = conv(inputChannels, half, 3) + bn(half) + conv(half, half, 3) + bn(half);
            count += conv(half, stem, 3) + bn(stem);
        } else {
            count = conv(inputChannels, stem, 7) + bn(stem);
        }
        long in = stem;
        for (int stage = 0; stage < 4; stage++) {
            long w = widths[stage];
            for (int block = 0; block < BLOCKS[index][stage]; block++) {
                int stride = stage > 0 && block == 0 ? 2 : 1;
                long out = bottleneck ? 4 * w : w;
                if (bottleneck) {
                    count += conv(in, w, 1) + bn(w);
                    if (sk) {
                        long m = Math.max((long) (w * skRatio), 32);
                        count += conv(w, 2 * w, 3) + bn(2 * w) + w * m + bn(m) + m * 2 * w;
                    } else {
                        count += conv(w, w, 3) + bn(w);
                    }
                    count += conv(w, out, 1) + bn(out);
                } else {
                    count += conv(in, w, 3) + bn(w) + conv(w, w, 3) + bn(w);
                }
                if (stride != 1 || in != out) {
                    count += conv(in, out, 1) + bn(out);
                }
                in = out;
            }
        }
        return count;
    }
}
