"""The peer side of org.suncet.benchmarks.EncoderStepProfile: forward + backward of the same
pre-training network (peer.py's PretrainModel: ResNet-18 CIFAR stem, width multiplier, SimCLR v1
head; the sum of the projections as the loss), printing each step's milliseconds and the process's
minor page faults, then PyTorch's profiler table (self CPU time per op and input shape) over the
last three steps. usage (docs/benchmarks.md, "Where the convolution gap came from"):

  MALLOC_MMAP_THRESHOLD_=4294967296 MALLOC_TRIM_THRESHOLD_=17179869184 \
    /usr/bin/python3 benchmarks/peer/profile_step.py WIDTH PX ROWS STEPS THREADS [TRACE.json]
"""
import os
import resource
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peer  # noqa: E402  (the same network as the pretrain benchmark)


def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def main():
    if len(sys.argv) not in (6, 7):
        sys.exit("usage: profile_step.py WIDTH PX ROWS STEPS THREADS [TRACE.json]")
    width, size, rows, steps, threads = (float(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]),
                                         int(sys.argv[4]), int(sys.argv[5]))
    if size not in (28, 32):
        sys.exit(f"PX must be 28 or 32, got {size}")
    torch.set_num_threads(threads)
    torch.manual_seed(42)
    channels = 1 if size == 28 else 3
    model = peer.PretrainModel(width, channels)
    images = torch.rand(rows, channels, size, size)

    def step(index):
        before, start = faults(), time.perf_counter()
        _, z = model(images)
        forward = time.perf_counter()
        z.sum().backward()
        end = time.perf_counter()
        print(f"step {index} forward {1e3 * (forward - start):.1f} ms total {1e3 * (end - start):.1f} ms "
              f"minor faults {faults() - before}")

    for index in range(max(0, steps - 3)):
        step(index)
    with torch.autograd.profiler.profile(record_shapes=True) as profile:
        for index in range(max(0, steps - 3), steps):
            step(index)
    if len(sys.argv) == 7:
        profile.export_chrome_trace(sys.argv[6])
    profiled = min(3, steps)
    print(f"self CPU time per step over the last {profiled} steps:")
    averages = sorted(profile.key_averages(group_by_input_shape=True), key=lambda e: -e.self_cpu_time_total)
    for event in averages[:25]:
        print(f"{event.self_cpu_time_total / 1e3 / profiled:9.2f} ms {event.count // profiled:4d}x "
              f"{event.key} {str(event.input_shapes)[:80]}")


if __name__ == "__main__":
    main()
