package org.suncet.augment;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;

/**
 * Hue shift through HSV, following torchvision's {@code _rgb2hsv} / {@code _hsv2rgb} on float tensors:
 * <pre>
 *   v = max(R, G, B),  c = v - min(R, G, B),  s = c / v  (0 when c = 0)
 *   h = ((v = R) (B' - G') + (v = G, v != R) (2 + R' - B') + (v != G, v != R) (4 + G' - R')) / 6 mod 1
 *       with X' = (v - X) / c  (c replaced by 1 when c = 0)
 *   h &lt;- (h + delta) mod 1
 *   i = floor(6h) mod 6,  f = 6h - floor(6h)
 *   p = clamp(v (1 - s)),  q = clamp(v (1 - s f)),  t = clamp(v (1 - s (1 - f)))
 *   (R, G, B) = (v,t,p) (q,v,p) (p,v,t) (p,q,v) (t,p,v) (v,p,q)  for i = 0..5
 * </pre>
 * Works on {@code [B, 3, H, W]} with {@code delta} shaped {@code [B or 1, 1, 1, 1]}.
 */
final class HueRotation {

    private HueRotation() {}

    static NDArray rotate(NDArray image, NDArray delta) {
        NDArray red = image.get(":, 0:1");
        NDArray green = image.get(":, 1:2");
        NDArray blue = image.get(":, 2:3");
        NDArray value = image.max(new int[] {1}, true);
        NDArray minimum = image.min(new int[] {1}, true);
        NDArray chroma = value.sub(minimum);
        NDArray flat = value.eq(minimum);
        NDArray ones = value.onesLike();
        NDArray saturation = chroma.div(NDArrays.where(flat, ones, value));
        NDArray divisor = NDArrays.where(flat, ones, chroma);
        NDArray rc = value.sub(red).div(divisor);
        NDArray gc = value.sub(green).div(divisor);
        NDArray bc = value.sub(blue).div(divisor);
        NDArray isRed = value.eq(red);
        NDArray isGreen = value.eq(green).logicalAnd(isRed.logicalNot());
        NDArray isBlue = value.neq(green).logicalAnd(isRed.logicalNot());
        NDArray hue = asFloat(isRed).mul(bc.sub(gc))
                .add(asFloat(isGreen).mul(rc.add(2f).sub(bc)))
                .add(asFloat(isBlue).mul(gc.add(4f).sub(rc)));
        hue = hue.div(6f).add(1f).mod(1f);
        hue = hue.add(delta).mod(1f);
        return toRgb(hue, saturation, value);
    }

    private static NDArray toRgb(NDArray hue, NDArray saturation, NDArray value) {
        NDArray scaled = hue.mul(6f);
        NDArray sector = scaled.floor();
        NDArray fraction = scaled.sub(sector);
        sector = sector.mod(6f);
        NDArray p = value.mul(saturation.neg().add(1f)).clip(0f, 1f);
        NDArray q = value.mul(saturation.mul(fraction).neg().add(1f)).clip(0f, 1f);
        NDArray t = value.mul(saturation.mul(fraction.neg().add(1f)).neg().add(1f)).clip(0f, 1f);
        NDArray[] in = new NDArray[6];
        for (int i = 0; i < 6; i++) {
            in[i] = asFloat(sector.eq((float) i));
        }
        NDArray red = value.mul(in[0].add(in[5])).add(q.mul(in[1])).add(p.mul(in[2].add(in[3])))
                .add(t.mul(in[4]));
        NDArray green = t.mul(in[0]).add(value.mul(in[1].add(in[2]))).add(q.mul(in[3]))
                .add(p.mul(in[4].add(in[5])));
        NDArray blue = p.mul(in[0].add(in[1])).add(t.mul(in[2])).add(value.mul(in[3].add(in[4])))
                .add(q.mul(in[5]));
        return NDArrays.concat(new NDList(red, green, blue), 1).clip(0f, 1f);
    }

    private static NDArray asFloat(NDArray mask) {
        return mask.toType(DataType.FLOAT32, false);
    }
}
