package org.suncet.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.evaluator.Evaluator;
import ai.djl.training.loss.Loss;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every loss and metric hands its result to the caller's {@link NDScope}, as every DJL operation
 * does: a loop that wraps each call in a scope closes every array the call made and leaves the
 * manager's count of open arrays where it was. (Before, the result was unregistered from the
 * loss's own inner scope and so belonged to no scope: one array and its autograd node stayed open
 * a call, about 22 KB of native memory at 8 rows, growing without bound.)
 */
class CallerScopeTest {

    private static final int ROWS = 8;

    /** Every loss of the package, fused and autograd where both exist. */
    static List<Loss> losses() {
        return List.of(
                NtXentLoss.builder().build(),
                NtXentLoss.builder().optFused(false).build(),
                NtXentLoss.builder().optTemperature(0.01f).build(), // the general fused path
                SuNCEtLoss.builder().build(),
                SuNCEtLoss.builder().optFused(false).build(),
                SupConLoss.builder().build(),
                SupConLoss.builder().optFused(false).build(),
                NcaLoss.builder().build(),
                NcaLoss.builder().optFused(false).build(),
                SuNCEtPretrainingLoss.builder().build());
    }

    /**
     * Labels, 2 rows a class: of every row for the labeled losses (NT-Xent ignores them), of the
     * last half (the support set; the first half are 2 images' 2 views) for SuNCEtPretrainingLoss.
     */
    private static NDList labels(NDManager manager, Loss loss) {
        int labeled = loss instanceof SuNCEtPretrainingLoss ? ROWS / 2 : ROWS;
        return new NDList(manager.arange(0, labeled, 1).div(2).toType(DataType.INT64, false));
    }

    @Test
    void aCallersScopeClosesEveryLossResultWithAndWithoutGradients() {
        for (Loss loss : losses()) {
            for (boolean withGradient : new boolean[] {true, false}) {
                try (NDManager manager = NDManager.newBaseManager()) {
                    NDArray z = manager.randomNormal(new Shape(ROWS, 4));
                    z.setRequiresGradient(true);
                    NDList labels = labels(manager, loss);
                    int before = manager.getManagedArrays().size();
                    NDArray first = null;
                    for (int call = 0; call < 20; call++) {
                        NDArray value;
                        try (NDScope scope = new NDScope()) {
                            scope.suppressNotUsedWarning();
                            if (withGradient) {
                                try (GradientCollector collector =
                                        Engine.getInstance().newGradientCollector()) {
                                    value = loss.evaluate(labels, new NDList(z));
                                    collector.backward(value);
                                }
                            } else {
                                value = loss.evaluate(labels, new NDList(z));
                            }
                            assertTrue(Float.isFinite(value.getFloat()), loss.getName());
                        }
                        assertTrue(value.isReleased(), loss.getName() + ": the scope closed the result");
                        first = first == null ? value : first;
                    }
                    int after = manager.getManagedArrays().size();
                    assertEquals(
                            before,
                            after,
                            loss.getName() + (withGradient ? " with" : " without")
                                    + " gradients: open arrays after 20 calls in scopes");
                    assertTrue(first.isReleased());
                }
            }
        }
    }

    @Test
    void aResultUnregisteredFromTheCallersScopeStaysOpen() {
        for (Loss loss : losses()) {
            try (NDManager manager = NDManager.newBaseManager()) {
                NDArray z = manager.randomNormal(new Shape(ROWS, 4));
                NDList labels = labels(manager, loss);
                NDArray kept;
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    kept = loss.evaluate(labels, new NDList(z));
                    NDScope.unregister(kept);
                }
                assertFalse(kept.isReleased(), loss.getName());
                assertTrue(Float.isFinite(kept.getFloat()), loss.getName());
                kept.close();
            }
        }
    }

    @Test
    void aCallersScopeClosesTheDistillationLossAndTheAccuracysArrays() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray teacher = manager.randomNormal(new Shape(ROWS, 5));
            NDArray student = manager.randomNormal(new Shape(ROWS, 5));
            student.setRequiresGradient(true);
            Loss distillation = DistillationLoss.builder().build();
            Evaluator accuracy = new ContrastiveAccuracy();
            NDArray views = manager.randomNormal(new Shape(ROWS, 4));
            int before = manager.getManagedArrays().size();
            for (int call = 0; call < 20; call++) {
                NDArray value;
                NDArray correct;
                try (NDScope scope = new NDScope();
                        GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                    scope.suppressNotUsedWarning();
                    value = distillation.evaluate(new NDList(teacher), new NDList(student));
                    collector.backward(value);
                    correct = accuracy.evaluate(null, new NDList(views));
                    assertTrue(Float.isFinite(correct.getFloat()));
                }
                assertTrue(value.isReleased());
                assertTrue(correct.isReleased());
            }
            assertEquals(before, manager.getManagedArrays().size(), "open arrays after 20 calls in scopes");
        }
    }
}
