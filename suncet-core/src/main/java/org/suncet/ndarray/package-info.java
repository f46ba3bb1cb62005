/**
 * NDArray helpers that work around engine hazards: {@link org.suncet.ndarray.Scalars} makes the
 * numbers that enter a differentiable computation engine-owned, because DJL 0.35.1's {@code
 * NDArray.mul(Number)} family leaves autograd holding a tensor whose memory the garbage collector
 * frees, and its {@link org.suncet.ndarray.Scalars#clip} replaces {@code NDArray.clip}, which leaks
 * its bounds and so fragments the native heap. {@link org.suncet.ndarray.MallocTuning} makes glibc
 * keep freed tensor memory for the next training step in a JVM (Linux), and {@link
 * org.suncet.ndarray.HugePageAllocation} asks libtorch to put large tensors on transparent huge
 * pages. {@link org.suncet.ndarray.MatrixProducts} multiplies float32 matrices on the CPU as oneDNN
 * 1×1 convolutions where libtorch's oneMKL runs only its AVX2 kernels (AMD CPUs of family 26+ with
 * AVX-512), and with {@code matMul} elsewhere.
 */
package org.suncet.ndarray;
