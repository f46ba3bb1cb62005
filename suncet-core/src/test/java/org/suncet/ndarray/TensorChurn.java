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
 * Test harness, run in a child JVM by {@code MallocTuningTest}: applies {@link MallocTuning}
 * (unless the system property turns it off), then on a new thread (its own glibc arena, as a JVM's
 * main thread has) allocates sixteen 6 MiB tensors, frees them, and repeats; prints {@code outcome
 * X} and one line {@code round R faults N} per round (the thread's minor page faults during it).
 * A fresh JVM, so that no other test's threads share the arena.
 */
public final class TensorChurn {

    /** Rounds run. */
    static final int ROUNDS = 12;

    /** Tensors a round. */
    static final int TENSORS = 16;

    /** Floats per tensor: 6 MiB. */
    static final int FLOATS = 6 << 18;

    private TensorChurn() {}

    /**
     * Runs the rounds and prints the counts.
     *
     * @param args none
     * @throws InterruptedException if interrupted while waiting for the worker
     */
    public static void main(String[] args) throws InterruptedException {
        System.out.println("outcome " + MallocTuning.ensureApplied());
        Thread worker = new Thread(() -> {
            try (NDManager manager = NDManager.newBaseManager()) {
                for (int round = 0; round < ROUNDS; round++) {
                    long before = threadMinorFaults();
                    List<NDArray> step = new ArrayList<>();
                    for (int t = 0; t < TENSORS; t++) {
                        step.add(manager.ones(new Shape(FLOATS))); // written: every page touched
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
