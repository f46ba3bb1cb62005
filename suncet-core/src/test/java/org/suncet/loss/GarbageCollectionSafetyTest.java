package org.suncet.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.loss.Loss;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.suncet.ndarray.FreedMemory;

/**
 * Every loss gives the same gradient whether or not a garbage collection (with the freed native
 * memory reused) happens between its forward and backward pass: no tensor autograd keeps may point
 * into a Java buffer that the collector can free (see {@link org.suncet.ndarray.Scalars}).
 */
class GarbageCollectionSafetyTest {

    static Stream<Arguments> losses() {
        Function<NDManager, NDList> none = m -> null;
        Function<NDManager, NDList> classes =
                m -> new NDList(m.create(new long[] {0, 1, 2, 0, 1, 2, 0, 1}));
        Function<NDManager, NDList> teacher =
                m -> {
                    m.getEngine().setRandomSeed(7);
                    return new NDList(m.randomNormal(new Shape(8, 4)));
                };
        Function<NDManager, NDList> support = m -> new NDList(m.create(new long[] {0, 0, 1, 1}));
        return Stream.of(
                Arguments.of("NT-Xent", NtXentLoss.builder().build(), none),
                Arguments.of("SuNCEt", SuNCEtLoss.builder().build(), classes),
                Arguments.of("SupCon", SupConLoss.builder().build(), classes),
                Arguments.of("NCA", NcaLoss.builder().build(), classes),
                Arguments.of("NT-Xent, blocks of 3", NtXentLoss.builder().optRowBlock(3).build(), none),
                Arguments.of("SuNCEt, blocks of 3", SuNCEtLoss.builder().optRowBlock(3).build(), classes),
                Arguments.of("NT-Xent, autograd", NtXentLoss.builder().optFused(false).build(), none),
                Arguments.of("SuNCEt, autograd", SuNCEtLoss.builder().optFused(false).build(), classes),
                Arguments.of("SupCon, autograd", SupConLoss.builder().optFused(false).build(), classes),
                Arguments.of("NCA, autograd", NcaLoss.builder().optFused(false).build(), classes),
                Arguments.of(
                        "distillation",
                        DistillationLoss.builder()
                                .optTemperature(2f)
                                .optScaleByTemperatureSquared(true)
                                .build(),
                        teacher),
                Arguments.of(
                        "SuNCEt pre-training",
                        SuNCEtPretrainingLossTest.objective(0.7f, 10),
                        support));
    }

    private static float[] gradient(Loss loss, Function<NDManager, NDList> labels, DataType type, boolean collect) {
        try (NDManager manager = NDManager.newBaseManager()) {
            manager.getEngine().setRandomSeed(11);
            NDArray z = manager.randomNormal(new Shape(8, 4)).mul(3).toType(type, false);
            z.setRequiresGradient(true);
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray value = loss.evaluate(labels.apply(manager), new NDList(z));
                if (collect) {
                    FreedMemory.collectAndScribble();
                }
                collector.backward(value);
            }
            return z.getGradient().toType(DataType.FLOAT32, false).toFloatArray();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("losses")
    void gradientDoesNotDependOnGarbageCollection(String name, Loss loss, Function<NDManager, NDList> labels) {
        for (DataType type : new DataType[] {DataType.FLOAT32, DataType.FLOAT64}) {
            float[] clean = gradient(loss, labels, type, false);
            for (int trial = 0; trial < 3; trial++) {
                assertArrayEquals(clean, gradient(loss, labels, type, true), name + " in " + type);
            }
        }
    }
}
