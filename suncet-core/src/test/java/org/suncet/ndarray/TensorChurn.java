package org.suncet.ndarray;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Test harness, run in a child JVM by {@code MallocTuningTest} and {@code HugePageAllocationTest}:
 * applies {@link MallocTuning} (unless the system property turns it off; it also makes {@link
 * HugePageAllocation}'s request, before the first tensor), then on a new thread (its own glibc
 * arena, as a JVM's main thread has) allocates {@code TENSORS} tensors of {@code FLOATS} floats
 * (default: sixteen of 6 MiB), writes every page, frees them, and repeats ({@code ROUNDS} times,
 * default 12); prints {@code outcome X}
 * and one line {@code round R faults N} per round (the thread's minor page faults during it). A
 * fresh JVM, so that no other test's threads share the arena.
 */
public final class TensorChurn {

    /** Rounds run, by default. */
    static final int ROUNDS = 12;

    /** Tensors a round, by default. */
    static final int TENSORS = 16;

    /** Floats per tensor by default: 6 MiB. */
    static final int FLOATS = 6 << 18;

    private TensorChurn() {}

    /**
     * Runs the rounds and prints the counts.
     *
     * @param args none, {@code TENSORS FLOATS}, or {@code TENSORS FLOATS ROUNDS}
     * @throws InterruptedException if interrupted while waiting for the worker
     */
    public static void main(String[] args) throws InterruptedException {
        int tensors = args.length >= 2 ? Integer.parseInt(args[0]) : TENSORS;
        long floats = args.length >= 2 ? Long.parseLong(args[1]) : FLOATS;
        int rounds = args.length == 3 ? Integer.parseInt(args[2]) : ROUNDS;
        System.out.println("outcome " + MallocTuning.ensureApplied() + " " + HugePageAllocation.ensureRequested());
        Thread worker = new Thread(() -> {
            try (NDManager manager = NDManager.newBaseManager()) {
                for (int round = 0; round < rounds; round++) {
                    long before = threadMinorFaults();
                    List<NDArray> step = new ArrayList<>();
                    for (int t = 0; t < tensors; t++) {
                        step.add(manager.ones(new Shape(floats))); // written: every page touched
                    }
                    step.forEach(NDArray::close);
                    System.out.println("round " + round + " faults " + (threadMinorFaults() - before));
                }
            }
        });
        worker.start();
        worker.join();
    }

    private static long threadMinorFaults() {
        try {
            String stat = Files.readString(Path.of("/proc/thread-self/stat"));
            // fields after "(comm) ": state ppid pgrp session tty tpgid flags minflt ...
            return Long.parseLong(stat.substring(stat.lastIndexOf(") ") + 2).split(" ")[7]);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
