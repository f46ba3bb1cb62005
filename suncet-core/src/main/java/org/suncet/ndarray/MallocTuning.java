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
 * while the arena is in use), {@code M_MMAP_THRESHOLD} = 32 MiB (glibc's largest: blocks up to it
 * come from the arenas and are reused; larger ones are still mapped and unmapped per call). The
 * cost: the process keeps its peak working set resident instead of giving it back between steps,
 * as a PyTorch process does. Call {@link #ensureApplied()} yourself to apply it early; the
 * library's training steps ({@code PretrainingStep}, {@code SupervisedStep}, {@code
 * DistillationStep}), losses and suncet-augment's {@code MultiViewTransform} call it when they are
 * made. Set the system property {@value #PROPERTY} to {@code false} to keep glibc's defaults.
 *
 * <p><b>Blocks above 32 MiB</b> are beyond any {@code mallopt} setting: glibc maps each afresh.
 * {@link #ensureApplied()} therefore also asks libtorch to put large tensors on transparent huge
 * pages ({@link HugePageAllocation}), which works only when it runs before the first tensor is
 * allocated: call it at the start of {@code main}.
 *
 * <p><b>On one CPU it does less.</b> glibc makes at most 8 arenas per CPU; with one CPU (a 1-core
 * container, or {@code taskset}) the JVM's own threads take them all and the training thread shares
 * its arena, whose other users' frees and allocations still cost it fresh pages: a thread
 * reallocating sixteen 6 MiB blocks faulted ~860 of their 24,576 pages a round with the tuning
 * (with an arena of its own: 7 tuned, about 4,600 untuned; AMD EPYC, 2026-12-07). Starting the
 * JVM with {@code MALLOC_ARENA_MAX=64} (or any count above its thread count) restores the full
 * effect.
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

    /** {@code M_MMAP_THRESHOLD}: 32 MiB, the largest value glibc accepts. */
    public static final int MMAP_THRESHOLD = 32 << 20;

    private static final int M_TRIM_THRESHOLD = -1;
    private static final int M_TOP_PAD = -2;
    private static final int M_MMAP_THRESHOLD = -3;

    private static final Logger LOGGER = LoggerFactory.getLogger(MallocTuning.class);

    private static Outcome outcome;

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
            int[][] settings = {
                {M_MMAP_THRESHOLD, MMAP_THRESHOLD}, {M_TRIM_THRESHOLD, TRIM_THRESHOLD}, {M_TOP_PAD, TOP_PAD}
            };
            for (int[] setting : settings) {
                if (mallopt.invokeInt(new Object[] {setting[0], setting[1]}) != 1) {
                    LOGGER.warn("glibc refused mallopt({}, {}): malloc tuning incomplete", setting[0], setting[1]);
                    return Outcome.UNSUPPORTED;
                }
            }
        } catch (LinkageError | RuntimeException e) {
            // no glibc, or JNA's native stub cannot load (e.g. a temporary folder mounted noexec)
            LOGGER.debug("glibc's mallopt not reachable: malloc tuning skipped", e);
            return Outcome.UNSUPPORTED;
        }
        LOGGER.info(
                "glibc malloc keeps freed tensor memory for reuse (M_TRIM_THRESHOLD {}, M_TOP_PAD {}, "
                        + "M_MMAP_THRESHOLD {}); -D{}=false keeps the defaults",
                TRIM_THRESHOLD, TOP_PAD, MMAP_THRESHOLD, PROPERTY);
        return Outcome.APPLIED;
    }
}
