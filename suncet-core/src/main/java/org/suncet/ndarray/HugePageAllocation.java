package org.suncet.ndarray;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks libtorch to put its large CPU tensors on transparent huge pages, in a JVM on Linux, without
 * any environment variable: it sets libtorch's own switch {@value #VARIABLE}{@code =1} in the
 * process environment (through JNA's {@code setenv}) before libtorch reads it.
 *
 * <p><b>What libtorch does with it.</b> With {@value #VARIABLE} set, libtorch's CPU allocator
 * (libtorch 2.7.1, {@code c10::alloc_cpu}) calls {@code madvise(MADV_HUGEPAGE)} on every block of
 * 2 MiB or more, so the kernel backs it with 2 MiB pages where it can: one page fault per 2 MiB
 * instead of one per 4 KiB. It matters for the blocks glibc maps afresh for every tensor: in a
 * JVM thread's own arena those of 64 MiB and more (larger than its heaps) whatever {@link
 * MallocTuning} sets, above 32 MiB where an older glibc caps the mapping threshold: every one of
 * their pages is faulted in again on each use, and a page fault costs about 11 µs on a virtual
 * machine such as the AMD EPYC this library is measured on.
 *
 * <p><b>Measured</b> (2026-12-07, AMD EPYC Zen 5, 2 vCPUs): allocating and writing a {@code [64, 3, 224,
 * 224]} float32 tensor (38.5 MB) 106 ms and 9,410 faults without, 12 ms and 723 with it (1
 * intra-op thread); one SimCLR + SuNCEt pre-training step of the ResNet-18 CIFAR stem at width 1,
 * 32 px, 256 rows ({@code PretrainingStepBenchmark}) 21.8 s without, 6.6-8.1 s with it at 1
 * thread, 14.7 s and 5.1 s at 2 (the tuned PyTorch peer, which cannot use it, the same hour: 5.5
 * and 3.2-3.8 s; that Zen 5 EPYC still ran oneDNN kernels later found wrong there, see {@code
 * ConvolutionKernelCheck} in suncet-models: the faults do not depend on them). At width 1, 28 px, at width 1/8 (212 vs 215 ms at 28 px, 299-308 vs 292-297 ms
 * at 32 px; a first pair 302-306 vs 310-314 ms) and for the losses at 2N = 8192 nothing
 * measurable changed either way. Set the property {@value #PROPERTY} to {@code false} to keep
 * libtorch's default.
 *
 * <p><b>Call it before the first tensor.</b> libtorch reads the variable once, at its first CPU
 * allocation; a request made after that has no effect (measured: setting it after the engine has
 * started works, after the first {@code NDArray} does not). {@link MallocTuning#ensureApplied()}
 * makes this request too, and the library's training steps, losses and {@code MultiViewTransform}
 * call that when they are made, which is early enough only when they are made before any array;
 * the bundled programs and benchmarks call it first thing. In your own program, call {@link
 * MallocTuning#ensureApplied()} (or this) at the start of {@code main}, or start the JVM with
 * {@code THP_MEM_ALLOC_ENABLE=1} in its environment.
 *
 * <p>Nothing is done, and the outcome says so, when the variable is already set (the user's value
 * is kept), when the property {@value #PROPERTY} is {@code false}, when the kernel's transparent
 * huge pages are {@code never} ({@code /sys/kernel/mm/transparent_hugepage/enabled}), or off Linux
 * with glibc. The cost: a tensor's memory is rounded up to whole 2 MiB pages where the kernel
 * uses them, and the kernel may spend time compacting memory to find free huge pages.
 * {@code setenv} is not safe while another native thread reads the environment; the JVM's own
 * threads do not after start-up, and libtorch reads it once.
 */
public final class HugePageAllocation {

    /** The system property that turns the request off when {@code false} (default {@code true}). */
    public static final String PROPERTY = "org.suncet.hugePages";

    /** libtorch's switch, an environment variable read at its first CPU allocation. */
    public static final String VARIABLE = "THP_MEM_ALLOC_ENABLE";

    private static final Path THP_MODE = Path.of("/sys/kernel/mm/transparent_hugepage/enabled");

    private static final Logger LOGGER = LoggerFactory.getLogger(HugePageAllocation.class);

    private static Outcome outcome;

    /** What {@link #ensureRequested()} did. */
    public enum Outcome {
        /** {@value HugePageAllocation#VARIABLE}{@code =1} was set in the process environment. */
        REQUESTED,
        /** The variable was already set (by the user or an earlier request): left as it was. */
        ALREADY_SET,
        /** The system property {@value HugePageAllocation#PROPERTY} is {@code false}. */
        DISABLED,
        /** Not Linux with glibc, transparent huge pages off in the kernel, or setenv failed. */
        UNSUPPORTED
    }

    private HugePageAllocation() {}

    /**
     * Makes the request once per process (later calls return the first call's outcome).
     *
     * @return what was done
     * @throws IllegalArgumentException if the system property {@value #PROPERTY} is set to something
     *     other than {@code true} or {@code false}
     */
    public static synchronized Outcome ensureRequested() {
        if (outcome == null) {
            outcome = request(MallocTuning.readSwitch(PROPERTY, System.getProperty(PROPERTY)));
        }
        return outcome;
    }

    /**
     * Whether the kernel can back madvised memory with huge pages, from the contents of {@code
     * /sys/kernel/mm/transparent_hugepage/enabled}, e.g. {@code "always [madvise] never"}.
     *
     * @param mode the file's contents
     * @return true unless {@code [never]} is the selected mode
     */
    static boolean kernelAllows(String mode) {
        return !mode.contains("[never]");
    }

    private static Outcome request(boolean enabled) {
        if (!enabled) {
            LOGGER.info("{}=false: libtorch allocates without huge pages", PROPERTY);
            return Outcome.DISABLED;
        }
        if (System.getenv(VARIABLE) != null) {
            return Outcome.ALREADY_SET;
        }
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
            return Outcome.UNSUPPORTED;
        }
        try {
            if (!kernelAllows(Files.readString(THP_MODE))) {
                LOGGER.debug("transparent huge pages are off in the kernel: nothing requested");
                return Outcome.UNSUPPORTED;
            }
        } catch (IOException e) {
            LOGGER.debug("{} not readable: nothing requested", THP_MODE, e);
            return Outcome.UNSUPPORTED;
        }
        try {
            NativeLibrary libc = NativeLibrary.getInstance("c");
            libc.getFunction("gnu_get_libc_version"); // glibc only
            Function setenv = libc.getFunction("setenv");
            // overwrite = 0: a value set natively since the JVM started is kept
            if (setenv.invokeInt(new Object[] {VARIABLE, "1", 0}) != 0) {
                LOGGER.warn("setenv({}) failed: libtorch allocates without huge pages", VARIABLE);
                return Outcome.UNSUPPORTED;
            }
        } catch (LinkageError | RuntimeException e) {
            LOGGER.debug("glibc's setenv not reachable: nothing requested", e);
            return Outcome.UNSUPPORTED;
        }
        LOGGER.info("{}=1: libtorch puts CPU tensors of 2 MiB or more on transparent huge pages, if it has"
                + " not allocated yet; -D{}=false turns this off", VARIABLE, PROPERTY);
        return Outcome.REQUESTED;
    }
}
