package org.suncet.train;

import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDManager;
import java.lang.reflect.Field;
import java.util.Map;

/**
 * Test harness: counts what a manager holds open, arrays and sub-managers alike, recursively. DJL's
 * {@code getManagedArrays()} counts arrays only, so an empty sub-manager left open would not show
 * there; this reads the manager's resource table (a protected field of {@link BaseNDManager}).
 */
final class OpenResources {

    private OpenResources() {}

    /** The arrays, lists and sub-managers open under {@code manager}, counted recursively. */
    static int count(NDManager manager) {
        try {
            Field field = BaseNDManager.class.getDeclaredField("resources");
            field.setAccessible(true);
            int count = 0;
            for (Object resource : ((Map<?, ?>) field.get(manager)).values()) {
                count += 1 + (resource instanceof NDManager sub ? count(sub) : 0);
            }
            return count;
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("DJL's BaseNDManager changed: " + e, e);
        }
    }
}
