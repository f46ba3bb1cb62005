package org.suncet.ndarray;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Test harness: makes freed Java direct buffers observable. It runs the garbage collector, lets the
 * buffers' cleaners free their native memory, then allocates many small direct buffers filled with
 * the byte {@code 0x4b} (≈ 1.3e7 as float32, ≈ 2e55 as float64), so that a tensor still pointing
 * into a freed buffer reads huge values instead of the old ones.
 */
public final class FreedMemory {

    private FreedMemory() {}

    /** Collects garbage, waits for cleaners, and scribbles over small freed native chunks. */
    public static void collectAndScribble() {
        System.gc();
        try {
            Thread.sleep(20);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<ByteBuffer> junk = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            ByteBuffer buffer = ByteBuffer.allocateDirect(4 << (i % 4)).order(ByteOrder.nativeOrder());
            while (buffer.hasRemaining()) {
                buffer.put((byte) 0x4b);
            }
            junk.add(buffer);
        }
        junk.clear();
    }
}
