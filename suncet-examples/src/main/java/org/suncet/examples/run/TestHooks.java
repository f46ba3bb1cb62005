package org.suncet.examples.run;

import java.io.IOException;

/**
 * <b>Test-only hooks</b>, read from system properties that nothing sets outside tests, so that
 * tests can stop a training run at an exact point, the same on every machine:
 *
 * <ul>
 *   <li>{@value #DISK_FULL_AT_CHECKPOINT}{@code =E}: {@link Checkpoint#save} of the state after epoch
 *       E throws {@code IOException("No space left on device")} halfway through its payload, as a
 *       full disk would (the temporary file is then deleted and the previous checkpoint kept).
 *   <li>{@value #PAUSE_IN_CHECKPOINT_WRITE}{@code =E}: {@link Checkpoint#save} of the state after
 *       epoch E prints the line {@code suncet-test: paused in checkpoint write after epoch E} once
 *       its payload is in the temporary file (before the header, the fsync and the rename), and
 *       sleeps, so that a test can kill the process there.
 *   <li>{@value #PAUSE_AT_STEP}{@code =E:S}: the pre-training loop prints {@code suncet-test: paused
 *       at epoch E step S} after the 1-based step S of epoch E has updated the model (nothing of the
 *       epoch saved), and sleeps.
 * </ul>
 *
 * <p>A paused process sleeps {@value #PAUSE_SECONDS} s at most, then halts with exit code 3, so a
 * test that dies without killing it leaves no process behind for long.
 */
public final class TestHooks {

    /** Fails the checkpoint write after epoch E with "No space left on device". */
    public static final String DISK_FULL_AT_CHECKPOINT = "suncet.test.diskFullAtCheckpoint";

    /** Pauses inside the checkpoint write after epoch E. */
    public static final String PAUSE_IN_CHECKPOINT_WRITE = "suncet.test.pauseInCheckpointWrite";

    /** Pauses after step S of epoch E ({@code E:S}, 1-based) of pre-training. */
    public static final String PAUSE_AT_STEP = "suncet.test.pauseAtStep";

    /** The longest a paused process waits to be killed. */
    static final int PAUSE_SECONDS = 120;

    private TestHooks() {}

    /** Throws as a full disk would, if {@value #DISK_FULL_AT_CHECKPOINT} names {@code epochsCompleted}. */
    static void diskFullAtCheckpoint(int epochsCompleted) throws IOException {
        if (Integer.toString(epochsCompleted).equals(System.getProperty(DISK_FULL_AT_CHECKPOINT))) {
            throw new IOException("No space left on device");
        }
    }

    /** Pauses if {@value #PAUSE_IN_CHECKPOINT_WRITE} names {@code epochsCompleted}. */
    static void inCheckpointWrite(int epochsCompleted) {
        if (Integer.toString(epochsCompleted).equals(System.getProperty(PAUSE_IN_CHECKPOINT_WRITE))) {
            pause("suncet-test: paused in checkpoint write after epoch " + epochsCompleted);
        }
    }

    /**
     * Pauses if {@value #PAUSE_AT_STEP} names this step.
     *
     * @param epoch the 0-based epoch
     * @param step the 1-based step of the epoch that has just updated the model
     */
    public static void afterStep(int epoch, long step) {
        String value = System.getProperty(PAUSE_AT_STEP);
        if (value != null && value.equals((epoch + 1) + ":" + step)) {
            pause("suncet-test: paused at epoch " + (epoch + 1) + " step " + step);
        }
    }

    private static void pause(String marker) {
        System.out.println(marker);
        System.out.flush();
        try {
            Thread.sleep(PAUSE_SECONDS * 1000L);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Runtime.getRuntime().halt(3);
    }
}
