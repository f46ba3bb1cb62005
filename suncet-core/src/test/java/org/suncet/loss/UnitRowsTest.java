package org.suncet.loss;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.suncet.loss.LossTesting.assertRelative;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import java.util.Random;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/** {@link UnitRows}: the values of {@link Similarity#normalise} and the gradient autograd takes of it. */
class UnitRowsTest {

    /**
     * Random rows, one of them 0 and one of norm 1e-13 (below the 1e-12 floor), and a random
     * upstream gradient g: {@code backward(g)} equals autograd's gradient of {@code Σ normalise(z) ⊙
     * g} in float64 to 1e-12 relative (the two differ only in rounding order, about 1e-16), the
     * rows near the floor each on their own.
     */
    @Property(tries = 40, seed = "11")
    void backwardIsTheGradientAutogradTakes(
            @ForAll @IntRange(min = 2, max = 40) int rows,
            @ForAll @IntRange(min = 1, max = 70) int dim,
            @ForAll @IntRange(min = 0, max = 1_000_000) int seed) {
        Random random = new Random(seed);
        double[][] z = LossTesting.gaussian(random, rows, dim, 1 + 10 * random.nextDouble());
        java.util.Arrays.fill(z[0], 0);
        for (int d = 0; d < dim; d++) {
            z[1][d] = 1e-13 / Math.sqrt(dim);
        }
        double[][] g = LossTesting.gaussian(random, rows, dim, 1);
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray upstream = LossTesting.matrix(manager, g, DataType.FLOAT64);
            NDArray tracked = LossTesting.matrix(manager, z, DataType.FLOAT64);
            tracked.setRequiresGradient(true);
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                collector.backward(Similarity.normalise(tracked).mul(upstream).sum());
            }
            double[][] expected = LossTesting.toMatrix(tracked.getGradient());
            UnitRows unitRows = new UnitRows(LossTesting.matrix(manager, z, DataType.FLOAT64));
            double[][] actual = LossTesting.toMatrix(unitRows.backward(upstream.duplicate()));
            // rows 0 and 1 (gradients near 1e12) each on their own, so that they do not swamp the rest
            for (int i = 0; i < rows; i++) {
                if (i >= 2) {
                    break;
                }
                assertRelative(
                        new double[][] {expected[i]}, new double[][] {actual[i]}, 1e-12, "row " + i + " of " + rows + " x " + dim);
            }
            if (rows > 2) {
                // floor 1e-3: with D = 1 the exact gradient is 0 and both sides give rounding (~1e-16)
                assertRelative(
                        java.util.Arrays.copyOfRange(expected, 2, rows),
                        java.util.Arrays.copyOfRange(actual, 2, rows),
                        1e-12,
                        1e-3,
                        "rows 2.. of " + rows + " x " + dim);
            }
            for (int d = 0; d < dim; d++) { // the 0 row: g / 1e-12, no projection
                assertRelative(g[0][d] * 1e12, actual[0][d], 1e-12, "zero row, column " + d);
            }
        }
    }

    /** {@code unit()} is {@link Similarity#normalise} bit for bit, in float32 and float64. */
    @Example
    void unitRowsAreNormaliseBitForBit() {
        Random random = new Random(5);
        double[][] z = LossTesting.gaussian(random, 300, 129, 7);
        java.util.Arrays.fill(z[3], 0);
        for (DataType type : new DataType[] {DataType.FLOAT32, DataType.FLOAT64}) {
            try (NDManager manager = NDManager.newBaseManager()) {
                NDArray x = LossTesting.matrix(manager, z, type);
                assertTrue(Similarity.normalise(x).contentEquals(new UnitRows(x).unit()), type.toString());
            }
        }
    }
}
