package org.suncet.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.loss.Loss;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A {@link Loss} whose accumulators (what DJL's training listeners average per epoch) work for
 * float64 losses too and close the arrays they evaluate. DJL's own {@code Loss} reads the value
 * with {@code getFloat()}, which throws on float64.
 */
public abstract class AccumulatingLoss extends Loss {

    private final Map<String, Double> totals = new ConcurrentHashMap<>();
    private final Map<String, Long> counts = new ConcurrentHashMap<>();

    /**
     * Creates a loss with a display name.
     *
     * @param name the display name
     */
    protected AccumulatingLoss(String name) {
        super(name);
    }

    /** {@inheritDoc} */
    @Override
    public void addAccumulator(String key) {
        totals.put(key, 0.0);
        counts.put(key, 0L);
    }

    /** {@inheritDoc} */
    @Override
    public void updateAccumulator(String key, NDList labels, NDList predictions) {
        updateAccumulators(new String[] {key}, labels, predictions);
    }

    /** {@inheritDoc} */
    @Override
    public void updateAccumulators(String[] keys, NDList labels, NDList predictions) {
        double value;
        try (NDArray loss = evaluate(labels, predictions);
                NDArray asDouble = loss.toType(DataType.FLOAT64, true);
                NDArray sum = asDouble.sum()) {
            value = sum.getDouble();
        }
        for (String key : keys) {
            totals.merge(key, value, Double::sum);
            counts.merge(key, 1L, Long::sum);
        }
    }

    /** {@inheritDoc} */
    @Override
    public void resetAccumulator(String key) {
        totals.put(key, 0.0);
        counts.put(key, 0L);
    }

    /** {@inheritDoc} */
    @Override
    public float getAccumulator(String key) {
        Long count = counts.get(key);
        if (count == null) {
            throw new IllegalArgumentException("no accumulator named '" + key + "'");
        }
        return count == 0 ? Float.NaN : (float) (totals.get(key) / count);
    }
}
