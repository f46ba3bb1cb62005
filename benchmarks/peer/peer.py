#!/usr/bin/env python3
"""The PyTorch peer of suncet's JMH benchmarks: the same shapes and definitions, written as the
straightforward eager PyTorch a researcher would write (float32, CPU), timed the way JMH times
ours. bin/bench-compare runs it next to the JMH benchmarks and prints both side by side.

    /usr/bin/python3 benchmarks/peer/peer.py [GROUP ...] [--threads N] [--quick] [options]

GROUP is any of `loss augment train pretrain gemm` (default: all). Output: one JSON object per line on
stdout, first a `peer` line (versions, threads, BLAS, malloc settings), then one line per result:

    {"group": "loss", "name": "NtXent", "params": {"rows": 256, "dim": 128}, "unit": "ms/op",
     "mean": ..., "min": ..., "iterations": 3, "ops": 812, "items_per_op": 1}

(`pretrain` lines also carry "phases": the mean ms per measured step of each phase.)

`mean` is the mean over measured iterations of each iteration's ms per op (JMH's AverageTime
score), `min` the fastest iteration's. Throughput groups say what an op is with `items_per_op`
(augmentation: one image giving two views, so img/s = 1000 / ms; training: one step of `batch`
images, so img/s = batch · 1000 / ms; pre-training: n + C·K images; GEMM: `flop_per_op`).
Progress goes to stderr.

What each group runs (the Java twin in brackets, benchmarks/src/main/java/org/suncet/benchmarks):
  loss     forward + backward of NT-Xent, SuNCEt, SupCon, NCA on 2N rows of D (128, --dims)
           [LossBenchmark]
  augment  torchvision's per-image two-view SimCLR pipeline, batch of 32 [AugmentationBenchmark]
  train    one ResNet-18 (CIFAR stem) + v1 head + NT-Xent + LARS step [TrainingStepBenchmark]
  pretrain one SimCLR + SuNCEt step of the recipe: batched augmentation, ResNet-18 (CIFAR stem,
           width w), NT-Xent + SuNCEt, backward, LARS, with a per-phase breakdown
           [PretrainingStepBenchmark]
  gemm     torch.mm of [M, K] x [K, N] [GemmBenchmark]
Every random choice is seeded (torch.manual_seed(42) before each benchmark's inputs; the
augmentation's draws come from torch's global generator, seeded 1).
"""

import argparse
import ctypes
import itertools
import json
import math
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
    for dim, rows, name in itertools.product(args.dims, args.rows, args.losses):
        torch.manual_seed(42)
        z = torch.randn(rows, dim, requires_grad=True)
        y = torch.arange(rows) % max(1, rows // 4)
        loss = LOSSES[name]

        def op():
            z.grad = None
            value = loss(z, y)
            value.backward()
            return value.item()

        mean, best, iterations, calls = measure(op, *timing)
        emit({"group": "loss", "name": name, "params": {"rows": rows, "dim": dim},
              "unit": "ms/op", "mean": mean, "min": best, "iterations": iterations,
              "ops": calls, "items_per_op": 1})
        log(f"peer loss {name:7s} rows={rows:5d} dim={dim:4d}: {mean:10.3f} ms/op "
            f"(fastest {best:.3f})")


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
# Pre-training step (PretrainingStepBenchmark): the recipe's SimCLR + SuNCEt step as a PyTorch user
# would write it with batched augmentation on the device: the step's images gathered from a pool,
# SimCLR's CIFAR-strength view (strength 0.5, crop scale [0.08, 1], no blur) made for the whole
# batch at once (crop + flip as one affine grid_sample, colour jitter and grayscale on the rows
# that draw them, torchvision's own batched HSV conversion for the hue), one forward of
# [2n views; C·K support] through a ResNet-18 with the CIFAR stem at width w (stage widths
# max(1, round(64·2^k·w)), as suncet-models' ResNet), SimCLR's v1 head, NT-Xent(τ = 0.1) on the
# views + 1·SuNCEt(τ = 0.1) on the support, backward, LARS, and `.item()` of the loss.


def _gray(x):
    """[R, C, H, W] -> [R, 1, H, W] luma (ITU-R 601-2, as torchvision); C = 1 is itself."""
    if x.shape[1] == 1:
        return x
    return (0.299 * x[:, 0] + 0.587 * x[:, 1] + 0.114 * x[:, 2]).unsqueeze(1)


def batched_simclr_views(images, views, size, generator, strength=0.5, scale=(0.08, 1.0),
                         ratio=(3 / 4, 4 / 3), jitter_p=0.8, gray_p=0.2):
    """images [B, C, H, W] in [0, 1] -> [views·B, C, size, size], view-major, one parameter draw per
    row (torchvision's RandomResizedCrop sampling with its 10 tries, vectorised; the colour
    jitter's four adjustments in a fixed order rather than torchvision's random one)."""
    from torchvision.transforms.functional_tensor import _hsv2rgb, _rgb2hsv

    x = images.repeat(views, 1, 1, 1)
    rows, channels, height, width = x.shape

    def uniform(low, high, *shape):
        return torch.rand(*shape, generator=generator) * (high - low) + low

    tries = 10
    area = uniform(scale[0], scale[1], rows, tries) * (height * width)
    aspect = torch.exp(uniform(math.log(ratio[0]), math.log(ratio[1]), rows, tries))
    crop_w = torch.sqrt(area * aspect).round()
    crop_h = torch.sqrt(area / aspect).round()
    fits = (crop_w > 0) & (crop_w <= width) & (crop_h > 0) & (crop_h <= height)
    first = fits.float().argmax(dim=1, keepdim=True)
    found = fits.any(dim=1)
    crop_w = torch.where(found, crop_w.gather(1, first).squeeze(1), torch.tensor(float(width)))
    crop_h = torch.where(found, crop_h.gather(1, first).squeeze(1), torch.tensor(float(height)))
    top = torch.floor(torch.rand(rows, generator=generator) * (height - crop_h + 1))
    left = torch.floor(torch.rand(rows, generator=generator) * (width - crop_w + 1))
    flip = torch.where(torch.rand(rows, generator=generator) < 0.5, -1.0, 1.0)
    theta = torch.zeros(rows, 2, 3)
    theta[:, 0, 0] = crop_w / width * flip
    theta[:, 0, 2] = (2 * left + crop_w) / width - 1
    theta[:, 1, 1] = crop_h / height
    theta[:, 1, 2] = (2 * top + crop_h) / height - 1
    grid = F.affine_grid(theta, [rows, channels, size, size], align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)

    jittered = (torch.rand(rows, generator=generator) < jitter_p).nonzero().squeeze(1)
    if len(jittered):
        y = x.index_select(0, jittered)
        n = len(jittered)
        s = strength

        def factor(amount):
            return uniform(max(0.0, 1 - amount), 1 + amount, n).view(n, 1, 1, 1)

        y = (y * factor(0.8 * s)).clamp_(0, 1)  # brightness
        mean = _gray(y).mean(dim=(1, 2, 3), keepdim=True)
        y = ((y - mean) * factor(0.8 * s) + mean).clamp_(0, 1)  # contrast
        if channels == 3:
            gray = _gray(y)
            y = ((y - gray) * factor(0.8 * s) + gray).clamp_(0, 1)  # saturation
            hsv = _rgb2hsv(y)
            shift = uniform(-0.2 * s, 0.2 * s, n).view(n, 1, 1)
            hsv[:, 0] = (hsv[:, 0] + shift) % 1.0
            y = _hsv2rgb(hsv)  # hue
        x.index_copy_(0, jittered, y)
    if channels == 3:
        grayed = (torch.rand(rows, generator=generator) < gray_p).nonzero().squeeze(1)
        if len(grayed):
            x.index_copy_(0, grayed, _gray(x.index_select(0, grayed)).expand(-1, 3, -1, -1))
    return x


class BasicBlock(nn.Module):
    def __init__(self, inputs, outputs, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(inputs, outputs, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(outputs)
        self.conv2 = nn.Conv2d(outputs, outputs, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(outputs)
        nn.init.zeros_(self.bn2.weight)  # zero-initialised residual branch
        self.shortcut = nn.Identity()
        if stride != 1 or inputs != outputs:
            self.shortcut = nn.Sequential(nn.Conv2d(inputs, outputs, 1, stride, bias=False),
                                          nn.BatchNorm2d(outputs))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(y)) + self.shortcut(x))


class WideResNet18Cifar(nn.Module):
    """ResNet-18 with the CIFAR stem (3×3/1, no max-pool) and a width multiplier: features
    [B, 512·w] (widths rounded per stage, as suncet-models' ResNet)."""

    def __init__(self, width, channels):
        super().__init__()
        widths = [max(1, round(64 * 2 ** k * width)) for k in range(4)]
        self.stem = nn.Sequential(nn.Conv2d(channels, widths[0], 3, 1, 1, bias=False),
                                  nn.BatchNorm2d(widths[0]), nn.ReLU(inplace=True))
        blocks, inputs = [], widths[0]
        for k, outputs in enumerate(widths):
            for b in range(2):
                blocks.append(BasicBlock(inputs, outputs, 2 if k > 0 and b == 0 else 1))
                inputs = outputs
        self.blocks = nn.Sequential(*blocks)
        self.features = inputs

    def forward(self, x):
        return torch.flatten(F.adaptive_avg_pool2d(self.blocks(self.stem(x)), 1), 1)


class PretrainModel(nn.Module):
    def __init__(self, width, channels):
        super().__init__()
        self.encoder = WideResNet18Cifar(width, channels)
        f = self.encoder.features
        self.head = nn.Sequential(nn.Linear(f, f), nn.ReLU(inplace=True), nn.Linear(f, 128))

    def forward(self, x):
        h = self.encoder(x)
        return h, self.head(h)


PRETRAIN_PHASES = ["data", "augment", "forward", "objective", "backward", "update", "hostRead"]


def bench_pretrain(args, timing):
    warmup_iterations, warmup_s, iterations, iteration_s = timing
    classes, per_class = args.classes, args.images_per_class
    support_rows = classes * per_class
    images = (args.step_rows - support_rows) // 2
    if images < 1 or per_class < 2 or (args.step_rows - support_rows) % 2:
        raise SystemExit(f"pretrain: need an even step rows - C·K > 0 and K >= 2, got "
                         f"{args.step_rows} rows, C = {classes}, K = {per_class}")
    for width, size in itertools.product(args.widths, args.image_sizes):
        channels = 1 if size == 28 else 3
        torch.manual_seed(42)
        model = PretrainModel(width, channels).train()
        layout = torch.channels_last if args.channels_last else torch.contiguous_format
        model = model.to(memory_format=layout)
        optimizer = Lars(model.parameters(), lr=0.075 * math.sqrt(images))
        pool = torch.rand(4 * (images + support_rows), channels, size, size)
        labels_host = [i // per_class for i in range(support_rows)]
        generator = torch.Generator().manual_seed(1)
        state = {"step": 0}

        def step():
            times = {}
            start = begin = time.perf_counter()
            first = state["step"] * (images + support_rows)
            index = (torch.arange(images + support_rows) + first) % pool.shape[0]
            batch = pool.index_select(0, index)
            labels = torch.tensor(labels_host)
            now = time.perf_counter()
            times["data"], begin = now - begin, now
            views = batched_simclr_views(batch[:images], 2, size, generator)
            support = batched_simclr_views(batch[images:], 1, size, generator)
            rows = torch.cat([views, support]).contiguous(memory_format=layout)
            now = time.perf_counter()
            times["augment"], begin = now - begin, now
            optimizer.zero_grad(set_to_none=True)
            _, z = model(rows)
            now = time.perf_counter()
            times["forward"], begin = now - begin, now
            loss = nt_xent(z[:2 * images], 0.1) + 1.0 * suncet(z[2 * images:], labels, 0.1)
            now = time.perf_counter()
            times["objective"], begin = now - begin, now
            loss.backward()
            now = time.perf_counter()
            times["backward"], begin = now - begin, now
            optimizer.step()
            now = time.perf_counter()
            times["update"], begin = now - begin, now
            loss.item()
            now = time.perf_counter()
            times["hostRead"] = now - begin
            state["step"] += 1
            return (now - start) * 1000.0, {k: v * 1000.0 for k, v in times.items()}

        def iteration(seconds, totals=None):
            # JMH's AverageTime: steps until `seconds` have passed (at least one); ms per step
            steps, start = 0, time.perf_counter()
            while True:
                _, phases = step()
                steps += 1
                if totals is not None:
                    for k, v in phases.items():
                        totals[k] += v
                elapsed = time.perf_counter() - start
                if elapsed >= seconds:
                    return elapsed * 1000.0 / steps, steps

        for _ in range(warmup_iterations):
            iteration(warmup_s)
        scores, totals, measured = [], dict.fromkeys(PRETRAIN_PHASES, 0.0), 0
        for _ in range(iterations):
            score, steps = iteration(iteration_s, totals)
            scores.append(score)
            measured += steps
        mean, best = sum(scores) / len(scores), min(scores)
        phases = {k: v / measured for k, v in totals.items()}
        per_step = images + support_rows
        emit({"group": "pretrain", "name": "step",
              "params": {"width": width, "imageSize": size, "stepRows": args.step_rows,
                         "classes": classes, "imagesPerClass": per_class,
                         "memoryFormat": "channels_last" if args.channels_last else "contiguous"},
              "unit": "ms/op", "mean": mean, "min": best, "iterations": len(scores),
              "ops": measured, "items_per_op": per_step, "item": "image (n unlabeled + C·K)",
              "phases": phases})
        log(f"peer pretrain width={width} {size} px"
            f"{' channels-last' if args.channels_last else ''}: {mean:9.1f} ms/step, "
            f"{per_step * 1000 / mean:.1f} img/s; phases (ms) "
            + " ".join(f"{k} {v:.1f}" for k, v in phases.items()))


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


def csv_floats(text):
    return [float(x) for x in text.split(",") if x]


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


def blas_core():
    """OpenBLAS's kernel set for this CPU (`openblas_get_corename`, e.g. Haswell, SkylakeX,
    Cooperlake; Prescott means it fell back to a generic core), or "unknown" for another BLAS."""
    try:
        library = ctypes.CDLL(blas_library())
        library.openblas_get_corename.restype = ctypes.c_char_p
        return library.openblas_get_corename().decode()
    except (OSError, AttributeError):
        return "unknown"


def main():
    groups = ["loss", "augment", "train", "pretrain", "gemm"]
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("groups", nargs="*", metavar="GROUP",
                        help="loss, augment, train, pretrain, gemm (default: all)")
    parser.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (default 1)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke test: tiny iteration counts and sizes (as bin/bench-compare --quick)")
    parser.add_argument("--rows", type=csv_ints, help="loss rows 2N (default 256,1024,4096,8192)")
    parser.add_argument("--dims", type=csv_ints, default=[128],
                        help="loss embedding dimensions D (default 128)")
    parser.add_argument("--losses", type=csv_strings, default=list(LOSSES),
                        help="losses (default NtXent,SuNCEt,SupCon,Nca)")
    parser.add_argument("--sizes", type=csv_ints, help="augmentation sizes (default 32,96,224)")
    parser.add_argument("--batch", type=csv_ints, help="training-step images (default 128)")
    parser.add_argument("--image-size", type=int, default=32, help="training-step image side")
    parser.add_argument("--optimizers", type=csv_strings, default=["Lars"],
                        help="training-step optimizers: Lars, Sgd (default Lars)")
    parser.add_argument("--widths", type=csv_floats,
                        help="pre-training ResNet width multipliers (default 0.125,1)")
    parser.add_argument("--image-sizes", type=csv_ints,
                        help="pre-training image sides: 28 (1 channel), 32 (3) (default 28,32)")
    parser.add_argument("--step-rows", type=int,
                        help="pre-training rows forwarded per step, 2n + C·K (default 256)")
    parser.add_argument("--classes", type=int, help="pre-training support classes C (default 10)")
    parser.add_argument("--channels-last", action="store_true",
                        help="pre-training: model and input in torch.channels_last, the layout "
                             "suncet's ResNet uses on the CPU (default: PyTorch's contiguous NCHW)")
    parser.add_argument("--images-per-class", type=int,
                        help="pre-training support images per class K (default 8)")
    parser.add_argument("--shapes", type=csv_strings,
                        default=["4096x128x4096", "4096x4096x128", "2048x2048x2048"],
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
    args.widths = args.widths or ([0.125] if quick else [0.125, 1.0])
    args.image_sizes = args.image_sizes or [28, 32]
    args.step_rows = args.step_rows or (32 if quick else 256)
    args.classes = args.classes or (2 if quick else 10)
    args.images_per_class = args.images_per_class or (4 if quick else 8)
    for size in args.image_sizes:
        if size not in (28, 32):
            parser.error(f"--image-sizes: 28 or 32, got {size}")
    # (warm-up iterations, warm-up s, iterations, iteration s): the JMH classes' defaults, or the
    # --quick settings bin/bench-compare passes to JMH (-wi 1 -w 0.3 -i 2 -r 0.3).
    timings = {
        "loss": (2, 2.0, 3, 3.0),
        "augment": (2, 3.0, 3, 4.0),
        "train": (2, 0.0, 5, 0.0),
        "pretrain": (3, 3.0, 5, 3.0),  # as PretrainingStepBenchmark: at least one step an iteration
        "gemm": (2, 2.0, 3, 3.0),
    }
    if quick:
        timings = {g: (1, 0.3, 2, 0.3) for g in groups}
        timings["train"] = (1, 0.0, 2, 0.0)
        timings["pretrain"] = (1, 0.0, 2, 0.0)
    if args.timing:
        wi, ws, i, s = args.timing.split(",")
        timings = {g: (int(wi), float(ws), int(i), float(s)) for g in groups}

    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(1)
    import torchvision

    emit({"peer": {
        "torch": torch.__version__, "torchvision": torchvision.__version__,
        "python": platform.python_version(), "threads": torch.get_num_threads(),
        "blas": blas_library(), "blas_core": blas_core(),
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE", ""),
        "malloc": {k: v for k, v in os.environ.items() if k.startswith("MALLOC_")},
        "quick": quick,
    }})
    log(f"peer: torch {torch.__version__}, torchvision {torchvision.__version__}, "
        f"{torch.get_num_threads()} thread(s), BLAS {blas_library()} (core {blas_core()})")
    runners = {"loss": bench_losses, "augment": bench_augment, "train": bench_train,
               "pretrain": bench_pretrain, "gemm": bench_gemm}
    for group in groups:
        if group in selected:
            runners[group](args, timings[group])


if __name__ == "__main__":
    main()
