package org.suncet.augment;

/**
 * Plain-Java double-precision references of the torchvision ops on one CHW image ({@code float[]},
 * channel-major), written loop by loop from the formulas of SPEC section 4.
 */
final class Reference {

    private Reference() {}

    static double[] hflip(float[] x, int c, int h, int w) {
        double[] out = new double[x.length];
        for (int k = 0; k < c; k++) {
            for (int i = 0; i < h; i++) {
                for (int j = 0; j < w; j++) {
                    out[(k * h + i) * w + j] = x[(k * h + i) * w + (w - 1 - j)];
                }
            }
        }
        return out;
    }

    /** PyTorch bilinear, align_corners=false: source index and the two taps with weights. */
    private static double[] tap(int d, int size, int outSize) {
        double scale = (double) size / outSize;
        double s = Math.max(scale * (d + 0.5) - 0.5, 0);
        int i0 = Math.min((int) Math.floor(s), size - 1);
        int i1 = i0 < size - 1 ? i0 + 1 : i0;
        double l1 = Math.min(Math.max(s - i0, 0), 1);
        return new double[] {i0, i1, 1 - l1, l1};
    }

    static double[] resizedCrop(float[] x, int c, int h, int w, int top, int left, int bh, int bw,
            int oh, int ow) {
        double[] out = new double[c * oh * ow];
        for (int k = 0; k < c; k++) {
            for (int i = 0; i < oh; i++) {
                double[] ty = tap(i, bh, oh);
                for (int j = 0; j < ow; j++) {
                    double[] tx = tap(j, bw, ow);
                    double v = 0;
                    for (int a = 0; a < 2; a++) {
                        for (int b = 0; b < 2; b++) {
                            int row = top + (int) ty[a];
                            int col = left + (int) tx[b];
                            v += ty[2 + a] * tx[2 + b] * x[(k * h + row) * w + col];
                        }
                    }
                    out[(k * oh + i) * ow + j] = clamp(v);
                }
            }
        }
        return out;
    }

    static double[] gray(float[] x, int c, int h, int w) {
        int plane = h * w;
        double[] g = new double[plane];
        for (int p = 0; p < plane; p++) {
            g[p] = c == 1 ? x[p] : 0.2989 * x[p] + 0.587 * x[plane + p] + 0.114 * x[2 * plane + p];
        }
        return g;
    }

    static double[] brightness(float[] x, double f) {
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = clamp(f * x[i]);
        }
        return out;
    }

    static double[] contrast(float[] x, int c, int h, int w, double f) {
        double mean = 0;
        for (double v : gray(x, c, h, w)) {
            mean += v;
        }
        mean /= h * w;
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = clamp(f * x[i] + (1 - f) * mean);
        }
        return out;
    }

    static double[] saturation(float[] x, int c, int h, int w, double f) {
        double[] g = gray(x, c, h, w);
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = c == 1 ? x[i] : clamp(f * x[i] + (1 - f) * g[i % (h * w)]);
        }
        return out;
    }

    static double[] grayscale(float[] x, int c, int h, int w) {
        double[] g = gray(x, c, h, w);
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = c == 1 ? x[i] : clamp(g[i % (h * w)]);
        }
        return out;
    }

    static double[] hue(float[] x, int c, int h, int w, double delta) {
        double[] out = new double[x.length];
        int plane = h * w;
        for (int p = 0; p < plane; p++) {
            if (c == 1) {
                out[p] = x[p];
                continue;
            }
            double r = x[p];
            double g = x[plane + p];
            double b = x[2 * plane + p];
            double max = Math.max(r, Math.max(g, b));
            double min = Math.min(r, Math.min(g, b));
            double chroma = max - min;
            double s = max == min ? 0 : chroma / max;
            double hh = 0;
            if (max != min) {
                double rc = (max - r) / chroma;
                double gc = (max - g) / chroma;
                double bc = (max - b) / chroma;
                if (max == r) {
                    hh = bc - gc;
                } else if (max == g) {
                    hh = 2 + rc - bc;
                } else {
                    hh = 4 + gc - rc;
                }
            }
            hh = hh / 6 + 1;
            hh -= Math.floor(hh);
            hh += delta;
            hh -= Math.floor(hh);
            double sector = Math.floor(hh * 6);
            double f = hh * 6 - sector;
            int i = ((int) sector) % 6;
            double pp = clamp(max * (1 - s));
            double q = clamp(max * (1 - s * f));
            double t = clamp(max * (1 - s * (1 - f)));
            double[][] rgb = {{max, t, pp}, {q, max, pp}, {pp, max, t}, {pp, q, max}, {t, pp, max},
                {max, pp, q}};
            out[p] = clamp(rgb[i][0]);
            out[plane + p] = clamp(rgb[i][1]);
            out[2 * plane + p] = clamp(rgb[i][2]);
        }
        return out;
    }

    static double[] gaussianBlur(float[] x, int c, int h, int w, int k, double sigma) {
        double[] kernel = new double[k];
        double sum = 0;
        for (int i = 0; i < k; i++) {
            double t = i - (k - 1) / 2.0;
            kernel[i] = Math.exp(-0.5 * (t / sigma) * (t / sigma));
            sum += kernel[i];
        }
        int pad = k / 2;
        double[] out = new double[x.length];
        for (int ch = 0; ch < c; ch++) {
            for (int i = 0; i < h; i++) {
                for (int j = 0; j < w; j++) {
                    double v = 0;
                    for (int a = 0; a < k; a++) {
                        for (int b = 0; b < k; b++) {
                            int row = reflect(i + a - pad, h);
                            int col = reflect(j + b - pad, w);
                            v += kernel[a] * kernel[b] / (sum * sum) * x[(ch * h + row) * w + col];
                        }
                    }
                    out[(ch * h + i) * w + j] = clamp(v);
                }
            }
        }
        return out;
    }

    static double[] solarize(float[] x, double threshold) {
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i] >= threshold ? 1 - x[i] : x[i];
        }
        return out;
    }

    private static int reflect(int i, int n) {
        if (i < 0) {
            return -i;
        }
        return i >= n ? 2 * (n - 1) - i : i;
    }

    static double clamp(double v) {
        return Math.min(1, Math.max(0, v));
    }
}
