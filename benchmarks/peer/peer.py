#!/usr/bin/env python3
"""The PyTorch peer of suncet's JMH benchmarks: the same shapes and definitions, written as the
straightforward eager PyTorch a researcher would write (float32, CPU), timed the way JMH times
ours. bin/bench-compare runs it next to the JMH benchmarks and prints both side by side.

    /usr/bin/python3 benchmarks/peer/peer.py [GROUP ...] [--threads N] [--quick] [options]

GROUP is any of `loss augment train gemm` (default: all). Output: one JSON object per line on
stdout, first a `peer` line (versions, threads, BLAS, malloc settings), then one line per result:

    {"group": "loss", "name": "NtXent", "params": {"rows": 256, "dim": 128}, "unit": "ms/op",
     "mean": ..., "min": ..., "iterations": 3, "ops": 812, "items_per_op": 1}

`mean` is the mean over measured iterations of each iteration's ms per op (JMH's AverageTime
score), `min` the fastest iteration's. Throughput groups say what an op is with `items_per_op`
(augmentation: one image giving two views, so img/s = 1000 / ms; training: one step of `batch`
images, so img/s = batch · 1000 / ms; GEMM: `flop_per_op`). Progress goes to stderr.

What each group runs (the Java twin in brackets, benchmarks/src/main/java/org/suncet/benchmarks):
  loss     forward + backward of NT-Xent, SuNCEt, SupCon, NCA on 2N rows of D = 128 [LossBenchmark]
  augment  torchvision's per-image two-view SimCLR pipeline, batch of 32 [AugmentationBenchmark]
  train    one ResNet-18 (CIFAR stem) + v1 head + NT-Xent + LARS step [TrainingStepBenchmark]
  gemm     torch.mm of [M, K] x [K, N] [GemmBenchmark]
Every random choice is seeded (torch.manual_seed(42) before each benchmark's inputs; the
augmentation's draws come from torch's global generator, seeded 1).
"""

import argparse
import json
import os
import platform
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

# Masked entries get this large finite negative, never -inf (as SPEC §1 asks of ours): a row without
# positives then gives a finite log-sum-exp and no NaN gradient, and the cost is the same.
EXCLUDED = -1e9
DIM = 128


def log(message):
    print(message, file=sys.stderr, flush=True)


def emit(record):
    print(json.dumps(record), flush=True)


def measure(op, warmup_iterations, warmup_s, iterations, iteration_s):
    """JMH-like timing: each iteration calls `op` until `iteration_s` has passed (at least once;
    0 gives JMH's single shot) and scores ms per call. Returns (mean, min, iterations, calls)."""

    def iteration(seconds):
        calls = 0
        start = time.perf_counter()
        while True:
            op()
            calls += 1
            elapsed = time.perf_counter() - start
            if elapsed >= seconds:
                return elapsed * 1000.0 / calls, calls

    for _ in range(warmup_iterations):
        iteration(warmup_s)
    scores, total = [], 0
    for _ in range(iterations):
        score, calls = iteration(iteration_s)
        scores.append(score)
        total += calls
    return sum(scores) / len(scores), min(scores), len(scores), total


# ---------------------------------------------------------------------------------------------
# Losses (SPEC §2; suncet-core ContrastiveCore). z [M, D], view-major for NT-Xent; labeled losses
# get y = arange(M) % (M / 4): M / 4 classes of 4 rows, as LossBenchmark.


def cosine_similarity(z, temperature):
    z = F.normalize(z, dim=1)
    return z @ z.t() / temperature


def nt_xent(z, temperature=0.1):
    """SimCLR's NT-Xent, mean over the 2N anchors: cross-entropy over the other 2N - 1 rows with the
    other view as the target (the usual PyTorch SimCLR code)."""
    rows = z.shape[0]
    half = rows // 2
    s = cosine_similarity(z, temperature)
    s = s.masked_fill(torch.eye(rows, dtype=torch.bool), EXCLUDED)
    targets = (torch.arange(rows) + half) % rows
    return F.cross_entropy(s, targets)


def _masks(y):
    rows = y.shape[0]
    self_mask = torch.eye(rows, dtype=torch.bool)
    positive = (y[:, None] == y[None, :]) & ~self_mask
    return self_mask, positive


def suncet(z, y, temperature=0.1):
    """SuNCEt: -[LSE over positives - LSE over all others], positives inside the log."""
    s = cosine_similarity(z, temperature)
    self_mask, positive = _masks(y)
    log_denominator = torch.logsumexp(s.masked_fill(self_mask, EXCLUDED), dim=1)
    log_numerator = torch.logsumexp(s.masked_fill(~positive, EXCLUDED), dim=1)
    valid = positive.any(dim=1)
    return (log_denominator - log_numerator)[valid].mean()


def supcon(z, y, temperature=0.1):
    """SupCon L_out: LSE over all others - mean similarity of the positives."""
    s = cosine_similarity(z, temperature)
    self_mask, positive = _masks(y)
    positive = positive.to(s.dtype)
    count = positive.sum(dim=1)
    log_denominator = torch.logsumexp(s.masked_fill(self_mask, EXCLUDED), dim=1)
    mean_positive = (s * positive).sum(dim=1) / count.clamp(min=1)
    valid = count > 0
    return (log_denominator - mean_positive)[valid].mean()


def nca(z, y, temperature=1.0):
    """NCA: s_ij = -||z_i - z_j||^2 / tau on unnormalised z, positives inside the log."""
    squared = (z * z).sum(dim=1, keepdim=True)
    s = (2 * (z @ z.t()) - squared - squared.t()) / temperature
    self_mask, positive = _masks(y)
    log_denominator = torch.logsumexp(s.masked_fill(self_mask, EXCLUDED), dim=1)
    log_numerator = torch.logsumexp(s.masked_fill(~positive, EXCLUDED), dim=1)
    valid = positive.any(dim=1)
    return (log_denominator - log_numerator)[valid].mean()


LOSSES = {
    "NtXent": lambda z, y: nt_xent(z, 0.1),
    "SuNCEt": lambda z, y: suncet(z, y, 0.1),
    "SupCon": lambda z, y: supcon(z, y, 0.1),
    "Nca": lambda z, y: nca(z, y, 1.0),
}


def bench_losses(args, timing):
    for rows in args.rows:
        for name in args.losses:
            torch.manual_seed(42)
            z = torch.randn(rows, DIM, requires_grad=True)
            y = torch.arange(rows) % max(1, rows // 4)
            loss = LOSSES[name]

            def op():
                z.grad = None
                value = loss(z, y)
                value.backward()
                return value.item()

            mean, best, iterations, calls = measure(op, *timing)
            emit({"group": "loss", "name": name, "params": {"rows": rows, "dim": DIM},
                  "unit": "ms/op", "mean": mean, "min": best, "iterations": iterations,
                  "ops": calls, "items_per_op": 1})
            log(f"peer loss {name:7s} rows={rows:5d}: {mean:10.3f} ms/op (fastest {best:.3f})")


# ---------------------------------------------------------------------------------------------
# Augmentation (SPEC §4; suncet-augment SimClrAugmentation). AugmentationBenchmark: 32 px = CIFAR
# preset (strength 0.5, no blur) on 32 px inputs; 96 px = ImageNet preset (strength 1, blur kernel
# 9) on 96 px; 224 px = ImageNet preset (blur kernel 23) on 256 px inputs. Float [3, H, W] in [0, 1].


def simclr_view(size):
    import torchvision.transforms as T

    cifar = size == 32
    strength = 0.5 if cifar else 1.0
    steps = [
        T.RandomResizedCrop(size, scale=(0.08, 1.0), ratio=(3 / 4, 4 / 3), antialias=False),
        T.RandomHorizontalFlip(0.5),
        T.RandomApply([T.ColorJitter(0.8 * strength, 0.8 * strength, 0.8 * strength,
                                     0.2 * strength)], p=0.8),
        T.RandomGrayscale(0.2),
    ]
    if not cifar:
        kernel = int(0.1 * size)
        kernel += 1 - kernel % 2  # odd: 9 at 96 px, 23 at 224 px
        steps.append(T.RandomApply([T.GaussianBlur(kernel, sigma=(0.1, 2.0))], p=0.5))
    return T.Compose(steps)


def bench_augment(args, timing):
    batch = 32
    for size in args.sizes:
        side = 256 if size == 224 else size
        torch.manual_seed(1)
        images = torch.rand(batch, 3, side, side)
        view = simclr_view(size)

        def op():
            sink = 0
            for i in range(batch):
                image = images[i]
                sink += view(image).shape[0] + view(image).shape[0]  # two views
            return sink

        mean_call, best_call, iterations, calls = measure(op, *timing)
        mean, best = mean_call / batch, best_call / batch  # ms per image
        emit({"group": "augment", "name": "perImage", "params": {"size": size, "input": side},
              "unit": "ms/op", "mean": mean, "min": best, "iterations": iterations,
              "ops": calls * batch, "items_per_op": 1, "item": "image (two views)"})
        log(f"peer augment perImage {size:3d} px: {1000 / mean:9.1f} img/s (fastest {1000 / best:.1f})")


# ---------------------------------------------------------------------------------------------
# Training step (TrainingStepBenchmark): torchvision resnet18 with the CIFAR stem, SimCLR v1 head,
# NT-Xent tau = 0.5, LARS as suncet-core's Lars (SimCLR's form) or torch's momentum SGD.


def resnet18_cifar():
    import torchvision

    net = torchvision.models.resnet18(zero_init_residual=True)
    net.conv1 = nn.Conv2d(3, 64, kernel_size=3, stride=1, padding=1, bias=False)
    net.maxpool = nn.Identity()
    net.fc = nn.Identity()  # features [B, 512]
    return net


class ContrastiveModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = resnet18_cifar()
        self.head = nn.Sequential(nn.Linear(512, 512), nn.ReLU(inplace=True), nn.Linear(512, 128))

    def forward(self, x):
        h = self.encoder(x)
        return h, self.head(h)


class Lars(torch.optim.Optimizer):
    """SimCLR's LARS (suncet-core Lars): g += wd*w; r = eta*||w||/||g|| if both > 0 else 1;
    v = m*v + lr*r*g; w -= v. Parameters with one dimension (batch norm, biases) are excluded
    from weight decay and adaptation."""

    def __init__(self, params, lr, momentum=0.9, weight_decay=1e-6, eta=0.001):
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay, eta=eta))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            for w in group["params"]:
                if w.grad is None:
                    continue
                g = w.grad
                if w.ndim > 1:
                    g = g.add(w, alpha=group["weight_decay"])
                    w_norm, g_norm = torch.norm(w), torch.norm(g)
                    trust = torch.where((w_norm > 0) & (g_norm > 0),
                                        group["eta"] * w_norm / g_norm, torch.ones_like(w_norm))
                    g = g * trust
                state = self.state[w]
                if "velocity" not in state:
                    state["velocity"] = torch.zeros_like(w)
                v = state["velocity"]
                v.mul_(group["momentum"]).add_(g, alpha=group["lr"])
                w.sub_(v)


def bench_train(args, timing):
    for batch in args.batch:
        for optimizer_name in args.optimizers:
            torch.manual_seed(42)
            model = ContrastiveModel().train()
            lr = 0.3 * batch / 256
            if optimizer_name == "Lars":
                optimizer = Lars(model.parameters(), lr=lr)
            else:
                optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9,
                                            weight_decay=1e-6)
            views = torch.rand(2 * batch, 3, args.image_size, args.image_size)

            def op():
                optimizer.zero_grad(set_to_none=True)
                _, z = model(views)
                loss = nt_xent(z, 0.5)
                loss.backward()
                optimizer.step()
                return loss.item()

            mean, best, iterations, calls = measure(op, *timing)
            emit({"group": "train", "name": "step",
                  "params": {"batch": batch, "size": args.image_size, "optimizer": optimizer_name},
                  "unit": "ms/op", "mean": mean, "min": best, "iterations": iterations,
                  "ops": calls, "items_per_op": batch, "item": "image (two views)"})
            log(f"peer train {optimizer_name} batch={batch}: {mean:9.1f} ms/step, "
                f"{batch * 1000 / mean:.1f} img/s (fastest {best:.1f} ms)")


# ---------------------------------------------------------------------------------------------
# GEMM (GemmBenchmark): [M, K] x [K, N], 2*M*K*N flop.


def bench_gemm(args, timing):
    for shape in args.shapes:
        m, k, n = (int(x) for x in shape.split("x"))
        torch.manual_seed(42)
        left, right = torch.randn(m, k), torch.randn(k, n)

        def op():
            return torch.mm(left, right).shape[0]

        mean, best, iterations, calls = measure(op, *timing)
        flop = 2.0 * m * k * n
        emit({"group": "gemm", "name": "matMul", "params": {"shape": shape}, "unit": "ms/op",
              "mean": mean, "min": best, "iterations": iterations, "ops": calls,
              "items_per_op": 1, "flop_per_op": flop})
        log(f"peer gemm {shape}: {mean:8.2f} ms/op, {flop / mean / 1e6:.1f} GFLOP/s "
            f"(fastest {flop / best / 1e6:.1f})")


# ---------------------------------------------------------------------------------------------


def csv_ints(text):
    return [int(x) for x in text.split(",") if x]


def csv_strings(text):
    return [x for x in text.split(",") if x]


def blas_library():
    """The BLAS shared object this process loaded (Debian's torch uses the libblas.so.3
    alternative: netlib reference BLAS unless OpenBLAS is installed)."""
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                path = line.split()[-1]
                if "blas" in os.path.basename(path):
                    return os.path.realpath(path)
    except OSError:
        pass
    return "unknown"


def main():
    groups = ["loss", "augment", "train", "gemm"]
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("groups", nargs="*", metavar="GROUP",
                        help="loss, augment, train, gemm (default: all)")
    parser.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (default 1)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke test: tiny iteration counts and sizes (as bin/bench-compare --quick)")
    parser.add_argument("--rows", type=csv_ints, help="loss rows 2N (default 256,1024,4096,8192)")
    parser.add_argument("--losses", type=csv_strings, default=list(LOSSES),
                        help="losses (default NtXent,SuNCEt,SupCon,Nca)")
    parser.add_argument("--sizes", type=csv_ints, help="augmentation sizes (default 32,96,224)")
    parser.add_argument("--batch", type=csv_ints, help="training-step images (default 128)")
    parser.add_argument("--image-size", type=int, default=32, help="training-step image side")
    parser.add_argument("--optimizers", type=csv_strings, default=["Lars"],
                        help="training-step optimizers: Lars, Sgd (default Lars)")
    parser.add_argument("--shapes", type=csv_strings, default=["4096x128x4096", "4096x4096x128"],
                        help="GEMM shapes MxKxN")
    parser.add_argument("--timing", type=str, default=None,
                        help="override every group's warmup/measurement: WI,WS,I,S "
                             "(iterations and seconds; S = 0 for one call per iteration)")
    args = parser.parse_args()
    for name in args.groups:
        if name not in groups:
            parser.error(f"unknown group {name}; choose from {', '.join(groups)}")
    for name in args.losses:
        if name not in LOSSES:
            parser.error(f"unknown loss {name}; choose from {', '.join(LOSSES)}")
    for name in args.optimizers:
        if name not in ("Lars", "Sgd"):
            parser.error(f"unknown optimizer {name}; choose Lars or Sgd")
    if args.threads < 1:
        parser.error(f"--threads must be >= 1, got {args.threads}")
    selected = args.groups or groups

    quick = args.quick
    args.rows = args.rows or ([256, 1024] if quick else [256, 1024, 4096, 8192])
    args.sizes = args.sizes or ([32] if quick else [32, 96, 224])
    args.batch = args.batch or ([8] if quick else [128])
    # (warm-up iterations, warm-up s, iterations, iteration s): the JMH classes' defaults, or the
    # --quick settings bin/bench-compare passes to JMH (-wi 1 -w 0.3 -i 2 -r 0.3).
    timings = {
        "loss": (2, 2.0, 3, 3.0),
        "augment": (2, 3.0, 3, 4.0),
        "train": (2, 0.0, 5, 0.0),
        "gemm": (2, 2.0, 3, 3.0),
    }
    if quick:
        timings = {g: (1, 0.3, 2, 0.3) for g in groups}
        timings["train"] = (1, 0.0, 2, 0.0)
    if args.timing:
        wi, ws, i, s = args.timing.split(",")
        timings = {g: (int(wi), float(ws), int(i), float(s)) for g in groups}

    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    import torchvision

    emit({"peer": {
        "torch": torch.__version__, "torchvision": torchvision.__version__,
        "python": platform.python_version(), "threads": torch.get_num_threads(),
        "blas": blas_library(),
        "malloc": {k: v for k, v in os.environ.items() if k.startswith("MALLOC_")},
        "quick": quick,
    }})
    log(f"peer: torch {torch.__version__}, torchvision {torchvision.__version__}, "
        f"{torch.get_num_threads()} thread(s), BLAS {blas_library()}")
    runners = {"loss": bench_losses, "augment": bench_augment, "train": bench_train,
               "gemm": bench_gemm}
    for group in groups:
        if group in selected:
            runners[group](args, timings[group])


if __name__ == "__main__":
    main()
