package org.suncet.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.util.Pair;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * Shared check of an optimizer's momentum export/import: three updates in one go must equal two
 * updates, an export through {@code NDArray.encode()}, and one update by a fresh optimizer on a
 * fresh block (other parameter ids) that imports the buffers and starts at update count 2.
 */
final class MomentumStateTestSupport {

    private MomentumStateTestSupport() {}

    /** The optimizer under test and its export/import, for a block and a first update count. */
    interface Subject {
        Optimizer build(Block block, int beginNumUpdate);

        Map<String, NDArray> export(Optimizer optimizer);

        void load(Optimizer optimizer, Map<String, NDArray> state);
    }

    static Block block(NDManager manager) {
        Block block = Linear.builder().setUnits(2).build();
        block.initialize(manager, DataType.FLOAT32, new Shape(1, 3));
        int i = 0;
        for (Pair<String, Parameter> entry : block.getParameters()) {
            NDArray array = entry.getValue().getArray();
            array.set(manager.arange(0f, array.size()).reshape(array.getShape()).mul(0.3f).add(i++ - 0.5f).toFloatArray());
        }
        return block;
    }

    /** The gradient of a parameter at a step: fixed, different per step and parameter. */
    static NDArray gradient(NDManager manager, NDArray weight, int step, int parameterIndex) {
        return manager.arange(0f, weight.size())
                .reshape(weight.getShape())
                .mul(0.1f * (step + 1))
                .sub(0.2f * parameterIndex - 0.05f * step);
    }

    static void steps(NDManager manager, Optimizer optimizer, Block block, int from, int to) {
        for (int step = from; step < to; step++) {
            int index = 0;
            for (Pair<String, Parameter> entry : block.getParameters()) {
                NDArray weight = entry.getValue().getArray();
                optimizer.update(entry.getValue().getId(), weight, gradient(manager, weight, step, index++));
            }
        }
    }

    static Map<String, float[]> values(Block block) {
        Map<String, float[]> values = new LinkedHashMap<>();
        for (Pair<String, Parameter> entry : block.getParameters()) {
            values.put(entry.getKey(), entry.getValue().getArray().toFloatArray());
        }
        return values;
    }

    /** Returns {uninterrupted, resumed with buffers, resumed without buffers} parameter values. */
    static Map<String, Map<String, float[]>> run(Subject subject, BiFunction<NDManager, NDArray, NDArray> roundTrip) {
        Map<String, Map<String, float[]>> results = new LinkedHashMap<>();
        try (NDManager manager = NDManager.newBaseManager()) {
            Block whole = block(manager);
            steps(manager, subject.build(whole, 0), whole, 0, 3);
            results.put("uninterrupted", values(whole));

            Block first = block(manager);
            Optimizer before = subject.build(first, 0);
            steps(manager, before, first, 0, 2);
            Map<String, NDArray> saved = new LinkedHashMap<>();
            subject.export(before).forEach((name, buffer) -> saved.put(name, roundTrip.apply(manager, buffer)));
            for (boolean withBuffers : new boolean[] {true, false}) {
                Block second = block(manager);
                Map<String, float[]> trained = values(first);
                for (Pair<String, Parameter> entry : second.getParameters()) {
                    entry.getValue().getArray().set(trained.get(entry.getKey()));
                }
                Optimizer after = subject.build(second, 2);
                if (withBuffers) {
                    subject.load(after, saved);
                }
                steps(manager, after, second, 2, 3);
                results.put(withBuffers ? "resumed" : "resumedWithoutBuffers", values(second));
            }
        }
        return results;
    }

    static NDArray encodeDecode(NDManager manager, NDArray array) {
        return NDArray.decode(manager, array.encode());
    }
}
