package org.suncet.ndarray;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes glibc's {@code malloc} keep freed tensor memory for the next training step, in a JVM on
 * Linux, without any environment variable: one {@code mallopt} call per setting, once per
 * process, through JNA (already on DJL's classpath).
 *
 * <p><b>Why a JVM needs it.</b> libtorch allocates every tensor with {@code posix_memalign}. A
 * Python process calls it from its first thread, whose allocations come from glibc's main arena
 * (one {@code brk} heap that is trimmed only above {@code M_TRIM_THRESHOLD}). A JVM runs {@code
 * main} on a second thread, which glibc serves from a per-thread arena of 64 MiB heaps; when a
 * step frees its last tensor in such a heap, {@code heap_trim} unmaps the whole heap unless {@code
 * M_TOP_PAD} says to keep it (the trim threshold is not consulted for that), and the next step
 * maps it again. Every page of a step's working set is then faulted in afresh each step: measured
 * (2026-12-06, AMD EPYC, 1 thread, ResNet-18 CIFAR stem at width 1/8, 256 rows of 28 px, forward +
 * backward) 17,000 minor faults a step (about 70 MiB) with glibc's defaults, and about 1,000 with
 * the settings below; the faults land inside oneDNN's convolution kernels (their first writes to
 * fresh output and reorder buffers), which is why they looked like slow convolutions. Setting the
 * {@code MALLOC_*} variables of the same name at launch has the same effect, but a user of a Java
 * library should not need to.
 *
 * <p><b>What it sets</b> (process-wide, all arenas): {@code M_TRIM_THRESHOLD} = 2<sup>31</sup> −
 * 1 (never return the top of a heap), {@code M_TOP_PAD} = 64 MiB (never unmap a per-thread heap
 * while the arena is in use), {@code M_MMAP_THRESHOLD} = 1 GiB (blocks below it come from the
 * arenas and are reused; a glibc that refuses it, as older releases cap the threshold at half a
 * per-thread heap, gets {@value #FALLBACK_MMAP_THRESHOLD} bytes instead: {@link #mmapThreshold()}). The
 * cost: the process keeps its peak working set resident instead of giving it back between steps,
 * as a PyTorch process does. Call {@link #ensureApplied()} yourself to apply it early; the
 * library's training steps ({@code PretrainingStep}, {@code SupervisedStep}, {@code
 * DistillationStep}), losses and suncet-augment's {@code MultiViewTransform} call it when they are
 * made. Set the system property {@value #PROPERTY} to {@code false} to keep glibc's defaults.
 *
 * <p><b>Blocks of 32 to 64 MiB</b> ({@code [256, 64, 28, 28]} float32 activations are 49 MiB) come
 * from the per-thread arena too once the threshold is above them: glibc gives each such block a
 * heap of its own, which {@code M_TOP_PAD} keeps for the next step. Measured (AMD EPYC Zen 3, 1
 * thread, ResNet-18 CIFAR stem at width 1, 256 rows of 28 px, forward + backward, {@code
 * EncoderStepProfile}, two alternating runs): 8,000–20,000 minor faults a step with the old 32 MiB
 * threshold, 580–3,200 with 1 GiB, and the forward 3.2–4.4 s against 2.6–3.0 s.
 *
 * <p><b>Blocks of 64 MiB and more</b> ({@code [256, 64, 32, 32]}: width 1 at 32 px) do not fit a
 * per-thread heap, and glibc maps each afresh whatever the threshold; no in-process setting moves a
 * running thread to glibc's main arena, whose heap has no such limit. Starting the JVM with {@code
 * MALLOC_ARENA_MAX=1} puts every thread on the main arena, where this threshold then covers blocks
 * up to 1 GiB: measured (same CPU and profile, width 1, 256 rows of 32 px, two alternating pairs)
 * 26,000–33,000 faults and 15.1–18.4 s a step with the 32 MiB threshold and no variable, 158–166
 * faults and 12.5–15.6 s with 1 GiB and the variable,
 * resident size 2.5 GB against 1.1 GB (PyTorch's process on the same step: 3.6 GB). The bundled
 * programs' launcher ({@code bin/suncet}) sets it. {@link #ensureApplied()} also asks libtorch to
 * put large tensors on transparent huge pages ({@link HugePageAllocation}), which makes each fresh
 * mapping cheaper and works only when it runs before the first tensor is allocated: call it at
 * the start of {@code main}.
 *
 * <p><b>On one CPU it does less.</b> glibc makes at most 8 arenas per CPU; with one CPU (a 1-core
 * container, or {@code taskset}) the JVM's own threads take them all and the training thread shares
 * its arena, whose other users' frees and allocations still cost it fresh pages: a thread
 * reallocating sixteen 6 MiB blocks faulted ~860 of their 24,576 pages a round with the tuning
 * (with an arena of its own: 7 tuned, about 4,600 untuned; AMD EPYC, 2026-12-07). Starting the
 * JVM with {@code MALLOC_ARENA_MAX=64} (or any count above its thread count) restores the full
 * effect for blocks below 64 MiB ({@code MALLOC_ARENA_MAX=1}, above, shares glibc's main arena
 * instead; not measured on one CPU).
 *
 * <p>On other systems (no glibc, or not Linux) it does nothing and says {@link
 * Outcome#UNSUPPORTED}.
 */
public final class MallocTuning {

    /** The system property that turns the tuning off when {@code false} (default {@code true}). */
    public static final String PROPERTY = "org.suncet.mallocTuning";

    /** {@code M_TRIM_THRESHOLD}: the largest value {@code mallopt} takes (an {@code int}). */
    public static final int TRIM_THRESHOLD = Integer.MAX_VALUE;

    /** {@code M_TOP_PAD}: 64 MiB, the size of a per-thread heap, so none is ever unmapped. */
    public static final int TOP_PAD = 64 << 20;

    /**
     * {@code M_MMAP_THRESHOLD}: 1 GiB. glibc 2.36 accepts it; blocks up to a per-thread heap (64 MiB)
     * then come from the arenas, and with {@code MALLOC_ARENA_MAX=1} blocks up to 1 GiB.
     */
    public static final int MMAP_THRESHOLD = 1 << 30;

    /**
     * {@code M_MMAP_THRESHOLD} where glibc refuses {@link #MMAP_THRESHOLD}: 32 MiB, the largest value
     * older glibc releases accept (half a per-thread heap).
     */
    public static final int FALLBACK_MMAP_THRESHOLD = 32 << 20;

    private static final int M_TRIM_THRESHOLD = -1;
    private static final int M_TOP_PAD = -2;
    private static final int M_MMAP_THRESHOLD = -3;

    private static final Logger LOGGER = LoggerFactory.getLogger(MallocTuning.class);

    private static Outcome outcome;

    private static int mmapThreshold;

    /** What {@link #ensureApplied()} did. */
    public enum Outcome {
        /** The three settings are in force (glibc accepted each). */
        APPLIED,
        /** The system property {@value MallocTuning#PROPERTY} is {@code false}: nothing was set. */
        DISABLED,
        /** Not Linux with glibc (or glibc refused a setting): nothing was set. */
        UNSUPPORTED
    }

    private MallocTuning() {}

    /**
     * Applies the settings once per process (later calls return the first call's outcome), and
     * makes {@link HugePageAllocation#ensureRequested()}'s request, which has its own switch and
     * outcome.
     *
     * @return what was done
     * @throws IllegalArgumentException if the system property {@value #PROPERTY} is set to
     *     something other than {@code true} or {@code false}
     */
    public static synchronized Outcome ensureApplied() {
        HugePageAllocation.ensureRequested();
        if (outcome == null) {
            outcome = apply(enabled(System.getProperty(PROPERTY)));
        }
        return outcome;
    }

    /**
     * Returns the {@code M_MMAP_THRESHOLD} in force after {@link #ensureApplied()}: {@link
     * #MMAP_THRESHOLD}, or {@link #FALLBACK_MMAP_THRESHOLD} where glibc refused the first; 0 when
     * nothing was set (or before the first call).
     *
     * @return the threshold in bytes, or 0
     */
    public static synchronized int mmapThreshold() {
        return mmapThreshold;
    }

    /**
     * Reads the switch.
     *
     * @param value the system property's value, null when unset
     * @return whether to tune
     * @throws IllegalArgumentException if {@code value} is neither {@code true} nor {@code false}
     */
    static boolean enabled(String value) {
        return readSwitch(PROPERTY, value);
    }

    /**
     * Reads an on/off system property whose default is on.
     *
     * @param property the property's name, for the message
     * @param value its value, null when unset
     * @return whether it is on
     * @throws IllegalArgumentException if {@code value} is neither {@code true} nor {@code false}
     */
    static boolean readSwitch(String property, String value) {
        if (value == null || value.equalsIgnoreCase("true")) {
            return true;
        }
        if (value.equalsIgnoreCase("false")) {
            return false;
        }
        throw new IllegalArgumentException(
                "system property " + property + " must be true or false, got '" + value + "'");
    }

    private static Outcome apply(boolean enabled) {
        if (!enabled) {
            LOGGER.info("{}=false: glibc's malloc defaults kept", PROPERTY);
            return Outcome.DISABLED;
        }
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
            return Outcome.UNSUPPORTED;
        }
        try {
            NativeLibrary libc = NativeLibrary.getInstance("c");
            libc.getFunction("gnu_get_libc_version"); // glibc only: musl has a mallopt that ignores all
            Function mallopt = libc.getFunction("mallopt");
            int threshold = MMAP_THRESHOLD;
            if (!set(mallopt, M_MMAP_THRESHOLD, threshold, false)) {
                threshold = FALLBACK_MMAP_THRESHOLD; // older glibc: at most half a per-thread heap
                LOGGER.debug("glibc refused M_MMAP_THRESHOLD {}: {} instead", MMAP_THRESHOLD, threshold);
                if (!set(mallopt, M_MMAP_THRESHOLD, threshold, true)) {
                    return Outcome.UNSUPPORTED;
                }
            }
            if (!set(mallopt, M_TRIM_THRESHOLD, TRIM_THRESHOLD, true) || !set(mallopt, M_TOP_PAD, TOP_PAD, true)) {
                return Outcome.UNSUPPORTED;
            }
            mmapThreshold = threshold;
        } catch (LinkageError | RuntimeException e) {
            // no glibc, or JNA's native stub cannot load (e.g. a temporary folder mounted noexec)
            LOGGER.debug("glibc's mallopt not reachable: malloc tuning skipped", e);
            return Outcome.UNSUPPORTED;
        }
        LOGGER.info(
                "glibc malloc keeps freed tensor memory for reuse (M_TRIM_THRESHOLD {}, M_TOP_PAD {}, "
                        + "M_MMAP_THRESHOLD {}); -D{}=false keeps the defaults",
                TRIM_THRESHOLD, TOP_PAD, mmapThreshold, PROPERTY);
        return Outcome.APPLIED;
    }

    /** One {@code mallopt} call; warns of a refusal when {@code warn}. */
    private static boolean set(Function mallopt, int option, int value, boolean warn) {
        if (mallopt.invokeInt(new Object[] {option, value}) == 1) {
            return true;
        }
        if (warn) {
            LOGGER.warn("glibc refused mallopt({}, {}): malloc tuning incomplete", option, value);
        }
        return false;
    }
}
