package org.suncet.train;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import ai.djl.nn.ParameterList;
import ai.djl.util.Pair;

import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The momentum buffers of an optimizer, one per parameter id and device, and their export and
 * import keyed by parameter name (the keys of {@code Block.getParameters()}), so that a checkpoint
 * taken by one process can restore the buffers in another, where DJL gives the same parameters
 * other ids.
 */
final class MomentumBuffers {

    private final Map<String, Map<Device, NDArray>> byId = new ConcurrentHashMap<>();
    private final Map<String, String> nameById;
    private final Map<String, Parameter> parameterByName;

    /** Buffers of an optimizer that knows its parameters' names ({@code parameters} may be null). */
    MomentumBuffers(ParameterList parameters) {
        Map<String, String> names = new HashMap<>();
        Map<String, Parameter> byName = new HashMap<>();
        if (parameters != null) {
            for (Pair<String, Parameter> entry : parameters) {
                names.put(entry.getValue().getId(), entry.getKey());
                byName.put(entry.getKey(), entry.getValue());
            }
        }
        this.nameById = Collections.unmodifiableMap(names);
        this.parameterByName = Collections.unmodifiableMap(byName);
    }

    boolean knowsNames() {
        return !parameterByName.isEmpty();
    }

    /** The buffer of a parameter on the weight's device: zero at first use, or the imported one. */
    NDArray velocity(String parameterId, NDArray weight) {
        Map<Device, NDArray> perDevice = byId.computeIfAbsent(parameterId, id -> new ConcurrentHashMap<>());
        NDArray velocity =
                perDevice.compute(
                        weight.getDevice(),
                        (device, existing) ->
                                existing == null || existing.isReleased() ? weight.zerosLike() : existing);
        if (!velocity.getShape().equals(weight.getShape())) {
            throw new IllegalStateException(
                    "momentum buffer of parameter " + nameById.getOrDefault(parameterId, parameterId)
                            + " has shape " + velocity.getShape() + ", the weight " + weight.getShape());
        }
        return velocity;
    }

    /** The live buffers by parameter name, in name order. */
    Map<String, NDArray> export(String optimizer) {
        requireNames(optimizer);
        Map<String, NDArray> state = new TreeMap<>();
        byId.forEach(
                (id, perDevice) -> {
                    if (perDevice.size() > 1) {
                        throw new IllegalStateException(
                                optimizer + " holds momentum on " + perDevice.size()
                                        + " devices for parameter " + nameById.get(id) + "; export supports one device");
                    }
                    for (NDArray velocity : perDevice.values()) {
                        if (!velocity.isReleased()) {
                            state.put(nameById.get(id), velocity);
                        }
                    }
                });
        return Collections.unmodifiableMap(state);
    }

    /** Replaces the buffers of the named parameters with copies of {@code state}'s arrays. */
    void load(String optimizer, Map<String, NDArray> state) {
        requireNames(optimizer);
        if (state == null) {
            throw new IllegalArgumentException("state must not be null");
        }
        for (Map.Entry<String, NDArray> entry : state.entrySet()) {
            Parameter parameter = parameterByName.get(entry.getKey());
            if (parameter == null || entry.getValue() == null) {
                throw new IllegalArgumentException(
                        optimizer + " has no parameter named '" + entry.getKey() + "' (or its buffer is null); it knows "
                                + parameterByName.size() + " parameters such as " + new TreeMap<>(parameterByName).firstKey());
            }
            NDArray buffer = entry.getValue();
            if (parameter.isInitialized() && !parameter.getArray().getShape().equals(buffer.getShape())) {
                throw new IllegalArgumentException(
                        "momentum buffer for " + entry.getKey() + " has shape " + buffer.getShape()
                                + ", the parameter " + parameter.getArray().getShape());
            }
        }
        for (Map.Entry<String, NDArray> entry : state.entrySet()) {
            String id = parameterByName.get(entry.getKey()).getId();
            NDArray copy = entry.getValue().duplicate();
            NDArray replaced =
                    byId.computeIfAbsent(id, key -> new ConcurrentHashMap<>()).put(copy.getDevice(), copy);
            if (replaced != null && replaced != copy) {
                replaced.close();
            }
        }
    }

    private void requireNames(String optimizer) {
        if (!knowsNames()) {
            throw new IllegalStateException(
                    optimizer + " was built without its parameters' names; build it with setParameters / optParameters(block)");
        }
    }
}
