package org.suncet.augment;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;

/**
 * Separable Gaussian blur with reflect padding, as torchvision's {@code gaussian_blur} on float
 * tensors: kernel {@code g(t) = exp(-0.5 (t / sigma)^2)} at {@code t = linspace(-(k-1)/2, (k-1)/2, k)},
 * normalised to sum 1; the image is padded by {@code k/2} on each side by reflection (the edge pixel is
 * not repeated) and convolved per channel, first along H then along W (a depthwise convolution with
 * one group per sample and channel, so each sample may have its own sigma).
 */
final class GaussianBlurKernel {

    private GaussianBlurKernel() {}

    /**
     * Normalised 1-D kernels {@code [S, k]} for sigmas {@code [S]}; rows whose {@code mask} is 0 are
     * the identity kernel (1 at the centre). {@code mask} may be null (all blurred).
     */
    static NDArray kernels(NDManager scope, NDArray sigmas, NDArray mask, int kernelSize) {
        float half = (kernelSize - 1) * 0.5f;
        NDArray t = scope.linspace(-half, half, kernelSize).reshape(1, kernelSize);
        NDArray pdf = t.div(sigmas.reshape(-1, 1)).square().mul(-0.5f).exp();
        NDArray kernel = pdf.div(pdf.sum(new int[] {1}, true));
        if (mask == null) {
            return kernel;
        }
        float[] delta = new float[kernelSize];
        delta[kernelSize / 2] = 1f;
        NDArray identity = scope.create(delta, new Shape(1, kernelSize));
        NDArray m = mask.reshape(-1, 1);
        return kernel.mul(m).add(identity.mul(m.neg().add(1f)));
    }

    /**
     * Blurs {@code [B, C, H, W]} with per-sample kernels {@code [B or 1, k]}; returns a clamped
     * {@code [B, C, H, W]}.
     */
    static NDArray blur(NDManager scope, NDArray batch, NDArray kernels) {
        Shape shape = batch.getShape();
        long samples = shape.get(0);
        long channels = shape.get(1);
        long height = shape.get(2);
        long width = shape.get(3);
        int k = (int) kernels.getShape().get(1);
        int pad = k / 2;
        // [B or 1, k] -> [B, C, k] -> [B*C, 1, k, 1] (vertical) and [B*C, 1, 1, k] (horizontal)
        NDArray perChannel = kernels.reshape(-1, 1, k).broadcast(new Shape(samples, channels, k));
        NDArray vertical = perChannel.reshape(samples * channels, 1, k, 1);
        NDArray horizontal = perChannel.reshape(samples * channels, 1, 1, k);
        NDArray padded = batch;
        if (pad > 0) {
            padded = padded.get(new NDIndex(":, :, {}, :",
                    scope.create(reflectIndex(height, pad))));
            padded = padded.get(new NDIndex(":, :, :, {}",
                    scope.create(reflectIndex(width, pad))));
        }
        // [B, C, H+2p, W+2p] -> [1, B*C, H+2p, W+2p]: one group per sample and channel.
        NDArray grouped = padded.reshape(1, samples * channels, height + 2L * pad, width + 2L * pad);
        Shape one = new Shape(1, 1);
        Shape none = new Shape(0, 0);
        int groups = (int) (samples * channels);
        NDArray rows = Conv2d.conv2d(grouped, vertical, null, one, none, one, groups).singletonOrThrow();
        NDArray both = Conv2d.conv2d(rows, horizontal, null, one, none, one, groups).singletonOrThrow();
        return both.reshape(samples, channels, height, width).clip(0f, 1f);
    }

    /** Source indices of a reflect-padded axis: {@code -p..n+p-1} mapped to {@code 0..n-1} without the edge. */
    static long[] reflectIndex(long n, int pad) {
        long[] index = new long[(int) n + 2 * pad];
        for (int i = 0; i < index.length; i++) {
            long j = i - pad;
            if (j < 0) {
                j = -j;
            } else if (j >= n) {
                j = 2 * (n - 1) - j;
            }
            index[i] = j;
        }
        return index;
    }
}
