package org.suncet.loss;

/**
 * Plain double-precision loop implementations of SPEC §2, written for the tests independently of
 * the library's tensor code: no masks, no shifts beyond what each formula needs.
 */
final class ReferenceLosses {

    private ReferenceLosses() {}

    static double[][] normalise(double[][] z) {
        double[][] out = new double[z.length][];
        for (int i = 0; i < z.length; i++) {
            double norm = 0;
            for (double v : z[i]) {
                norm += v * v;
            }
            norm = Math.max(Math.sqrt(norm), 1e-12);
            out[i] = new double[z[i].length];
            for (int d = 0; d < z[i].length; d++) {
                out[i][d] = z[i][d] / norm;
            }
        }
        return out;
    }

    static double[][] cosine(double[][] z, double tau) {
        double[][] n = normalise(z);
        double[][] s = new double[z.length][z.length];
        for (int i = 0; i < z.length; i++) {
            for (int j = 0; j < z.length; j++) {
                double dot = 0;
                for (int d = 0; d < n[i].length; d++) {
                    dot += n[i][d] * n[j][d];
                }
                s[i][j] = dot / tau;
            }
        }
        return s;
    }

    static double[][] negativeSquaredDistance(double[][] z, double tau) {
        double[][] s = new double[z.length][z.length];
        for (int i = 0; i < z.length; i++) {
            for (int j = 0; j < z.length; j++) {
                double dist = 0;
                for (int d = 0; d < z[i].length; d++) {
                    double diff = z[i][d] - z[j][d];
                    dist += diff * diff;
                }
                s[i][j] = -dist / tau;
            }
        }
        return s;
    }

    /** log Σ_{k ∈ set} exp(x_k), with the maximum subtracted. */
    private static double logSumExp(double[] x, boolean[] set) {
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < x.length; k++) {
            if (set[k]) {
                max = Math.max(max, x[k]);
            }
        }
        double sum = 0;
        for (int k = 0; k < x.length; k++) {
            if (set[k]) {
                sum += Math.exp(x[k] - max);
            }
        }
        return max + Math.log(sum);
    }

    /** SPEC §2.2–2.4 over a similarity matrix: mean over the rows that have a positive. */
    static double supervised(double[][] s, long[] labels, boolean insideLog) {
        int m = labels.length;
        double total = 0;
        int rows = 0;
        for (int i = 0; i < m; i++) {
            boolean[] candidates = new boolean[m];
            boolean[] positives = new boolean[m];
            int positiveCount = 0;
            double positiveSum = 0;
            for (int k = 0; k < m; k++) {
                candidates[k] = k != i;
                positives[k] = k != i && labels[k] == labels[i];
                if (positives[k]) {
                    positiveCount++;
                    positiveSum += s[i][k];
                }
            }
            if (positiveCount == 0) {
                continue;
            }
            double denominator = logSumExp(s[i], candidates);
            double loss =
                    insideLog
                            ? denominator - logSumExp(s[i], positives)
                            : denominator - positiveSum / positiveCount;
            total += loss;
            rows++;
        }
        return total / rows;
    }

    static double ntXent(double[][] z, int views, double tau) {
        return supervised(cosine(z, tau), imageLabels(z.length, views), false);
    }

    static long[] imageLabels(int rows, int views) {
        long[] labels = new long[rows];
        int images = rows / views;
        for (int r = 0; r < rows; r++) {
            labels[r] = r % images;
        }
        return labels;
    }

    static double supCon(double[][] z, long[] y, double tau) {
        return supervised(cosine(z, tau), y, false);
    }

    static double suncet(double[][] z, long[] y, double tau) {
        return supervised(cosine(z, tau), y, true);
    }

    static double nca(double[][] z, long[] y, double tau) {
        return supervised(negativeSquaredDistance(z, tau), y, true);
    }

    static double distillation(double[][] teacher, double[][] student, double t, boolean squared) {
        double total = 0;
        for (int b = 0; b < teacher.length; b++) {
            double[] p = softmax(teacher[b], t);
            double[] q = softmax(student[b], t);
            for (int c = 0; c < p.length; c++) {
                total -= p[c] * Math.log(q[c]);
            }
        }
        return total / teacher.length * (squared ? t * t : 1);
    }

    private static double[] softmax(double[] logits, double t) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : logits) {
            max = Math.max(max, v / t);
        }
        double sum = 0;
        double[] out = new double[logits.length];
        for (int c = 0; c < logits.length; c++) {
            out[c] = Math.exp(logits[c] / t - max);
            sum += out[c];
        }
        for (int c = 0; c < logits.length; c++) {
            out[c] /= sum;
        }
        return out;
    }

    /** A function of a matrix, for finite differences. */
    interface MatrixFunction {
        double apply(double[][] x);
    }

    /**
     * Five-point central finite-difference gradient (truncation error O(h⁴), so that steep losses
     * at small τ still give a reference good to better than 1e-6). The step of row i is {@code h ·
     * min(1, ‖x_i‖)}: a cosine loss depends on {@code x_i / ‖x_i‖}, whose k-th derivatives grow as
     * {@code ‖x_i‖^−k}, so a fixed step on a short row (a Gaussian draw in 2 dimensions can have
     * norm 0.003) gave a truncation error of 6e-5 (NT-Xent, 3 × 3 rows of dimension 2, τ = 0.05).
     * Scaled, the truncation error is that of a unit row; the rounding error grows only to about
     * 1e-16·|f| / (h·‖x_i‖), far below 1e-6 of a gradient that itself grows as 1 / ‖x_i‖.
     */
    /**
     * The smallest factor {@link #numericGradient} scales its step by, {@code min_i max(1e-3,
     * min(1, ‖x_i‖))}: its rounding error grows by the inverse of this factor.
     */
    static double smallestStepScale(double[][] x) {
        double smallest = 1;
        for (double[] row : x) {
            double norm = 0;
            for (double value : row) {
                norm += value * value;
            }
            smallest = Math.min(smallest, Math.max(1e-3, Math.min(1, Math.sqrt(norm))));
        }
        return smallest;
    }

    static double[][] numericGradient(MatrixFunction f, double[][] x, double h) {
        double[][] grad = new double[x.length][x[0].length];
        for (int i = 0; i < x.length; i++) {
            double norm = 0;
            for (double value : x[i]) {
                norm += value * value;
            }
            double rowStep = h * Math.max(1e-3, Math.min(1, Math.sqrt(norm)));
            for (int d = 0; d < x[i].length; d++) {
                double keep = x[i][d];
                double[] at = new double[4];
                double[] steps = {2 * rowStep, rowStep, -rowStep, -2 * rowStep};
                for (int k = 0; k < 4; k++) {
                    x[i][d] = keep + steps[k];
                    at[k] = f.apply(x);
                }
                x[i][d] = keep;
                grad[i][d] = (-at[0] + 8 * at[1] - 8 * at[2] + at[3]) / (12 * rowStep);
            }
        }
        return grad;
    }
}
