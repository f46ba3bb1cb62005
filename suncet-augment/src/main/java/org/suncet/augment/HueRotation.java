package org.suncet.augment;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.suncet.ndarray.Scalars;

/**
 * Hue shift as torchvision's {@code adjust_hue} on float tensors (RGB to HSV, {@code h = (h + delta)
 * mod 1}, HSV to RGB), computed in a closed form with few passes over the image.
 *
 * <p>A hue shift keeps each pixel's largest and smallest channel, {@code v = max(R, G, B)} and
 * {@code m = min(R, G, B)}, so with {@code c = v - m} the round trip is
 * <pre>
 *   6h = (G - B) / c          if v = R
 *        2 + (B - R) / c      if v = G, v != R
 *        4 + (R - G) / c      otherwise          (in [-1, 5]; 0 when c = 0)
 *   out_k = m + c * clamp(|((n_k + 6h + 6 delta + 1) mod 6) - 3| - 1, 0, 1),   n = (5, 3, 1) for (R, G, B)
 * </pre>
 * which is HSV-to-RGB's {@code v - v s max(0, min(K, 4 - K, 1))} with {@code K = (n + 6h') mod 6},
 * {@code v s = c}. The per-row, per-channel constant {@code S_k = n_k + 1 + 6 delta}, reduced mod 6 into
 * [-5, 1), is computed on the host, so {@code u = 6h + S_k} lies in [-6, 6) and the periodic triangle
 * needs no {@code mod}: {@code |(u mod 6) - 3| = ||u| - 3|} there. The branch is chosen with 0/1 masks (R before
 * G before B, as torchvision), not {@code where}. Results agree with torchvision to float rounding
 * (a few 1e-7), lie in [0, 1] for inputs in [0, 1], and use only element-wise ops, so every pixel's
 * result does not depend on the batch it is in.
 *
 * <p>The masks are float arithmetic, not comparisons: {@code [v = G] = sign(G - v) + 1}, exactly 0 or 1
 * because {@code v >= G} and a float difference is zero only between equal values (gradual underflow).
 * libtorch 2.7.1's comparison ({@code eq}, a bool result) and its bool-to-float conversion took three
 * to four times a float op's time each on the CPU; the float masks made the whole rotation about 15 %
 * faster at 224 px with the same bits (docs/benchmarks.md, session 22).
 */
final class HueRotation {

    /** {@code n_k} of HSV-to-RGB for R, G, B. */
    private static final int[] OFFSETS = {5, 3, 1};

    private HueRotation() {}

    /**
     * Shifts the hue of {@code [B, 3, H, W]} images.
     *
     * @param scope manager of the temporaries
     * @param image {@code [B, 3, H, W]} float32 in [0, 1]
     * @param deltas one shift in [-0.5, 0.5] per image, or one for all
     * @return the shifted images
     */
    static NDArray rotate(NDManager scope, NDArray image, float[] deltas) {
        float[] shifts = new float[3 * deltas.length];
        for (int i = 0; i < deltas.length; i++) {
            for (int k = 0; k < 3; k++) {
                // n_k + 1 + 6 delta, reduced mod 6 into [-5, 1)
                double t = OFFSETS[k] + 1 + 6.0 * deltas[i] + 5;
                t -= 6 * Math.floor(t / 6);
                shifts[3 * i + k] = (float) (t - 5);
            }
        }
        NDList channels = image.split(3, 1);
        NDArray red = channels.get(0);
        NDArray green = channels.get(1);
        NDArray blue = channels.get(2);
        NDArray value = red.maximum(green).maximum(blue);
        NDArray minimum = red.minimum(green).minimum(blue);
        NDArray chroma = value.sub(minimum);
        NDArray twice = chroma.add(chroma);
        // 6h * c of the blue branch, then of the green branch where v = G: 4c + R - G, 2c + B - R
        NDArray blueBranch = red.sub(green).addi(twice).addi(twice);
        NDArray hue = blue.sub(red).addi(twice).subi(blueBranch);
        hue.muli(isMaximum(green, value)).addi(blueBranch);
        // the red branch where v = R: G - B
        NDArray red6h = green.sub(blue).subi(hue);
        red6h.muli(isMaximum(red, value)).addi(hue);
        red6h.divi(chroma.maximum(Float.MIN_NORMAL));
        // [B, 1, H, W] + [B or 1, 3, 1, 1] -> [B, 3, H, W]
        NDArray u = red6h.add(scope.create(shifts, new Shape(deltas.length, 3, 1, 1)));
        NDArray triangle = u.abs().subi(3f).abs().subi(1f);
        return Scalars.clip(triangle, 0, 1).muli(chroma).addi(minimum);
    }

    /**
     * {@code 1} where {@code channel == value}, else {@code 0}, for {@code value >= channel}: {@code
     * sign(channel - value) + 1}.
     */
    private static NDArray isMaximum(NDArray channel, NDArray value) {
        return channel.sub(value).signi().addi(1f);
    }
}
