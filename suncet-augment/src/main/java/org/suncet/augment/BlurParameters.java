package org.suncet.augment;

/**
 * One draw of {@link RandomGaussianBlur}.
 *
 * @param kernelSize odd kernel size, {@code >= 1}
 * @param sigma standard deviation in pixels, {@code > 0}
 */
public record BlurParameters(int kernelSize, double sigma) {

    /**
     * Checks the record.
     *
     * @throws IllegalArgumentException if the kernel is even or not positive, or sigma is not {@code > 0}
     */
    public BlurParameters {
        if (kernelSize <= 0 || kernelSize % 2 == 0) {
            throw new IllegalArgumentException("kernelSize must be odd and positive, got " + kernelSize);
        }
        ImageChecks.requireSigma(sigma, "sigma");
    }
}
