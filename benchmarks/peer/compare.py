#!/usr/bin/env python3
"""Puts suncet's JMH results and the PyTorch peer's side by side (used by bin/bench-compare).

    compare.py DIR [--csv OUT.csv]

DIR holds what bin/bench-compare wrote: `jmh-MALLOC.json` (JMH's `-rf json` of LossBenchmark,
GemmBenchmark, PretrainingStepBenchmark and AugmentationBenchmark, every thread count in one file)
and `peer-MALLOC-tTHREADS.jsonl` (benchmarks/peer/peer.py's output), MALLOC being `default` (glibc's
thresholds, what a JVM user has) or `tuned` (MALLOC_MMAP_THRESHOLD_=4294967296
MALLOC_TRIM_THRESHOLD_=17179869184). Prints, per thread count:

  losses     ms per forward + backward, mean over measured iterations and (fastest iteration):
             ours and the peer under each allocator; `ours/peer` divides OUR TIME by the TUNED
             peer's (> 1: ours is slower), for ours with the default environment and ours tuned
             (the issue's goals: ≤ 1.0 and ≤ 0.8); `floor` the three matrix products of forward +
             backward at the best GEMM rate either side reached at this thread count (D = 128:
             2·(2N)²·D flop at the [4096,128]x[128,4096] rate plus twice that at the
             [4096,4096]x[4096,128] rate; D = 2048: all three at the 2048³ rate); `tuned/floor`
             ours tuned over it
  GEMM       GFLOP/s of each shape, both sides, both allocators: the peer's BLAS at full speed?
  pretrain   one SimCLR + SuNCEt step in images/s (n unlabeled + C·K support images a step), and
             each side's per-phase breakdown in ms per step
  augment    two-view augmentation, img/s (ours batched and per image; the peer per image)
Cells with no result show "-".
"""

import argparse
import csv
import glob
import json
import os
import sys

FORWARD_SHAPE = "4096x128x4096"
BACKWARD_SHAPE = "4096x4096x128"
SQUARE_SHAPE = "2048x2048x2048"
LOSSES = ["NtXent", "SuNCEt", "SupCon", "Nca"]
MALLOCS = ["default", "tuned"]
OURS_PHASES = ["data", "augment", "forward", "objective", "backward", "diagnostics",
               "finiteCheck", "update", "hostRead", "other"]


def warn(message):
    print(f"compare: {message}", file=sys.stderr)


def per_step_mean(metric, steps):
    """The mean over the measured steps of one JMH secondary metric: its score (JMH's sum over the
    iterations of the per-iteration sums) over that of the `steps` counter; without that counter
    (single-shot results of the first version, one step per iteration) the mean of its raw values."""
    if steps:
        return metric["score"] / steps["score"]
    raw = [x for fork in metric.get("rawData", []) for x in fork]
    return sum(raw) / len(raw) if raw else metric["score"]


def load_jmh(path, malloc, results, phases):
    """Adds {(group, key..., threads, side): (mean_ms, fastest_ms)} from one JMH json."""
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, ValueError) as error:
        warn(f"cannot read JMH results {path}: {error}")
        return
    side = f"ours-{malloc}"
    for entry in data:
        cls, method = entry["benchmark"].rsplit(".", 2)[-2:]
        params = entry.get("params", {})
        metric = entry["primaryMetric"]
        raw = [x for fork in metric.get("rawData", []) for x in fork] or [metric["score"]]
        unit = metric["scoreUnit"]
        if unit == "ops/s":  # throughput: convert to ms per op
            mean_ms, fastest_ms = 1000.0 / metric["score"], 1000.0 / max(raw)
        elif unit == "ms/op":
            mean_ms, fastest_ms = metric["score"], min(raw)
        elif unit == "s/op":
            mean_ms, fastest_ms = metric["score"] * 1000, min(raw) * 1000
        else:
            warn(f"unexpected unit {unit} in {entry['benchmark']}")
            continue
        threads = int(params.get("threads", 0)) or None
        if cls == "LossBenchmark":
            name = params["loss"]
            if params.get("path", "fused") != "fused":
                name += f" ({params['path']})"  # its own row, no peer twin
            key = ("loss", name, int(params["rows"]), int(params.get("dim", 128)))
        elif cls == "GemmBenchmark":
            key = ("gemm", params["shape"])
        elif cls == "PretrainingStepBenchmark":
            key = ("pretrain", float(params["width"]), int(params["imageSize"]),
                   int(params["stepRows"]), int(params["classes"]), int(params["imagesPerClass"]))
            secondary = entry.get("secondaryMetrics", {})
            # JMH's score of an aux counter is the SUM over the measured iterations, each the sum
            # over that iteration's steps; the breakdown is per step
            phases[key + (threads, side)] = {
                name: per_step_mean(secondary[name + "Ms"], secondary.get("steps"))
                for name in OURS_PHASES if name + "Ms" in secondary}
        elif cls == "AugmentationBenchmark":
            key = ("augment", method, int(params["size"]))
        else:
            continue
        results[key + (threads, side)] = (mean_ms, fastest_ms)


def load_peer(path, malloc, results, phases, infos):
    try:
        with open(path) as f:
            lines = [json.loads(line) for line in f if line.strip().startswith("{")]
    except (OSError, ValueError) as error:
        warn(f"cannot read peer results {path}: {error}")
        return
    side = f"peer-{malloc}"
    threads = None
    for r in lines:
        if "peer" in r:
            infos[malloc] = r["peer"]
            threads = r["peer"].get("threads")
            continue
        p = r["params"]
        if r["group"] == "loss":
            key = ("loss", r["name"], p["rows"], p.get("dim", 128))
        elif r["group"] == "gemm":
            key = ("gemm", p["shape"])
        elif r["group"] == "pretrain":
            key = ("pretrain", float(p["width"]), p["imageSize"], p["stepRows"], p["classes"],
                   p["imagesPerClass"])
            phases[key + (threads, side)] = r.get("phases", {})
        elif r["group"] == "augment":
            key = ("augment", r["name"], p["size"])
        else:
            continue
        results[key + (threads, side)] = (r["mean"], r["min"])


def gflops(shape, ms):
    m, k, n = (int(x) for x in shape.split("x"))
    return 2.0 * m * k * n / (ms * 1e6)


def fmt(value, digits=None):
    if value is None:
        return "-"
    if digits is None:
        digits = 3 if abs(value) < 10 else (1 if abs(value) < 1000 else 0)
    return f"{value:.{digits}f}"


def pair(values, digits=None):
    if values is None or values[0] is None:
        return "-"
    return f"{fmt(values[0], digits)} ({fmt(values[1], digits)})"


def ratio(a, b):
    return (a[0] / b[0], a[1] / b[1]) if a and b else None


def print_table(table, numeric_from):
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]))]
    for i, line in enumerate(table):
        print("  ".join(cell.ljust(w) if j < numeric_from else cell.rjust(w)
                        for j, (cell, w) in enumerate(zip(line, widths))).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("dir")
    parser.add_argument("--csv")
    args = parser.parse_args()
    results, phases, infos = {}, {}, {}
    for malloc in MALLOCS:
        path = os.path.join(args.dir, f"jmh-{malloc}.json")
        if os.path.exists(path):
            load_jmh(path, malloc, results, phases)
        for path in sorted(glob.glob(os.path.join(args.dir, f"peer-{malloc}-t*.jsonl"))):
            load_peer(path, malloc, results, phases, infos)
    if not results:
        warn(f"no results under {args.dir}")
        return 1
    thread_counts = sorted({k[-2] for k in results if k[-2] is not None})
    csv_rows = []

    def get(key, threads, side):
        return results.get(key + (threads, side))

    for threads in thread_counts:
        print(f"=== {threads} intra-op thread(s) ===\n")
        # GEMM rates and the floor of this thread count
        best = {}
        gemm_rows = [("GEMM [M,K]x[K,N]", "ours default", "ours tuned", "peer default",
                      "peer tuned")]
        shapes = sorted({k[1] for k in results if k[0] == "gemm" and k[-2] == threads},
                        key=lambda s: [int(x) for x in s.split("x")])
        for shape in shapes:
            cells = [shape]
            for side in ("ours-default", "ours-tuned", "peer-default", "peer-tuned"):
                r = get(("gemm", shape), threads, side)
                rate = (gflops(shape, r[0]), gflops(shape, r[1])) if r else None
                if rate:
                    best[shape] = max(best.get(shape, 0.0), rate[1])
                cells.append(pair(rate, 1))
                csv_rows.append([threads, "gemm", shape, "", side, "GFLOP/s",
                                 *(rate or ("", ""))])
            gemm_rows.append(tuple(cells))

        def floor_ms(rows, dim):
            flop = 2.0 * rows * rows * dim
            if dim == 128 and FORWARD_SHAPE in best and BACKWARD_SHAPE in best:
                return flop / (best[FORWARD_SHAPE] * 1e6) + 2 * flop / (best[BACKWARD_SHAPE] * 1e6)
            rate = best.get(SQUARE_SHAPE)
            return 3 * flop / (rate * 1e6) if rate else None

        loss_keys = sorted({k[:4] for k in results if k[0] == "loss" and k[-2] == threads},
                           key=lambda k: (k[3], LOSSES.index(k[1].split()[0])
                                          if k[1].split()[0] in LOSSES else 9, k[1], k[2]))
        if loss_keys:
            table = [("loss", "2N", "D", "ours default", "ours tuned", "peer default", "peer tuned",
                      "ours default/peer tuned", "ours tuned/peer tuned", "goals <=1.0 / <=0.8",
                      "floor ms", "ours tuned/floor")]
            for key in loss_keys:
                od, ot, pd, pt = (get(key, threads, s) for s in
                                  ("ours-default", "ours-tuned", "peer-default", "peer-tuned"))
                r_default, r_tuned = ratio(od, pt), ratio(ot, pt)
                goals = "/".join("-" if r is None else ("ok" if r[0] <= limit else "MISS")
                                 for r, limit in ((r_default, 1.0), (r_tuned, 0.8)))
                floor = floor_ms(key[2], key[3])
                table.append((key[1], str(key[2]), str(key[3]), pair(od), pair(ot), pair(pd),
                              pair(pt), pair(r_default, 2), pair(r_tuned, 2), goals,
                              fmt(floor) if floor else "-",
                              pair((ot[0] / floor, ot[1] / floor), 1) if ot and floor else "-"))
                for side, r in (("ours-default", od), ("ours-tuned", ot), ("peer-default", pd),
                                ("peer-tuned", pt)):
                    csv_rows.append([threads, f"loss {key[1]}", f"2N={key[2]}", key[3], side,
                                     "ms/op", *(r or ("", ""))])
            print("losses, forward + backward, ms/op: mean (fastest)")
            print_table(table, 3)
            print()
        if len(gemm_rows) > 1:
            print("GEMM rate, GFLOP/s: mean (fastest)")
            print_table(gemm_rows, 1)
            print()

        pre_keys = sorted({k[:6] for k in results if k[0] == "pretrain" and k[-2] == threads})
        if pre_keys:
            table = [("pretrain step", "px", "rows", "ours default", "ours tuned", "peer default",
                      "peer tuned", "ours default/peer tuned", "ours tuned/peer tuned")]
            breakdown = []
            for key in pre_keys:
                _, width, size, rows, classes, per_class = key
                images = (rows - classes * per_class) // 2 + classes * per_class
                sides = ("ours-default", "ours-tuned", "peer-default", "peer-tuned")
                r = {s: get(key, threads, s) for s in sides}
                rate = {s: (images * 1000 / v[0], images * 1000 / v[1]) if v else None
                        for s, v in r.items()}
                table.append((f"width {width:g}", str(size), f"{rows} ({classes}x{per_class})",
                              *(pair(rate[s], 1) for s in sides),
                              pair(ratio(r["ours-default"], r["peer-tuned"]), 2),
                              pair(ratio(r["ours-tuned"], r["peer-tuned"]), 2)))
                for s in sides:
                    csv_rows.append([threads, f"pretrain width {width:g}", f"{size} px", rows, s,
                                     "img/s", *(rate[s] or ("", ""))])
                    ph = phases.get(key + (threads, s))
                    if ph:
                        breakdown.append(f"  width {width:g} {size} px {s:12s} "
                                         + " ".join(f"{n} {v:.1f}" for n, v in ph.items()))
            print("pre-training step (SimCLR + SuNCEt), images/s: mean (fastest); "
                  "ratios are time per image")
            print_table(table, 3)
            if breakdown:
                print("per-phase breakdown, mean ms per measured step:")
                print("\n".join(breakdown))
            print()

        aug_keys = sorted({k[:3] for k in results if k[0] == "augment" and k[-2] == threads},
                          key=lambda k: (k[2], k[1]))
        if aug_keys:
            table = [("augment", "px", "ours default", "ours tuned", "peer default (per image)",
                      "peer tuned (per image)")]
            for key in aug_keys:
                cells = [key[1], str(key[2])]
                for s in ("ours-default", "ours-tuned"):
                    v = get(key, threads, s)
                    cells.append(pair((1000 / v[0], 1000 / v[1]) if v else None, 1))
                for s in ("peer-default", "peer-tuned"):
                    v = get(("augment", "perImage", key[2]), threads, s)
                    cells.append(pair((1000 / v[0], 1000 / v[1]) if v else None, 1))
                table.append(tuple(cells))
            print("two-view augmentation, img/s: mean (fastest)")
            print_table(table, 2)
            print()

    for malloc, info in infos.items():
        print(f"peer ({malloc}): " + ", ".join(
            f"{k} {v}" for k, v in info.items() if k != "threads" and v not in ("", {})))
    if args.csv:
        with open(args.csv, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["threads", "benchmark", "size", "dim_or_rows", "side", "unit",
                             "mean", "fastest"])
            writer.writerows(csv_rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
