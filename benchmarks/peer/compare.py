#!/usr/bin/env python3
"""Puts suncet's JMH results and the PyTorch peer's side by side (used by bin/bench-compare).

    compare.py JMH_JSON PEER_JSONL [--csv OUT.csv] [--header TEXT]

JMH_JSON is JMH's `-rf json` output of LossBenchmark, AugmentationBenchmark, TrainingStepBenchmark
and GemmBenchmark; PEER_JSONL is benchmarks/peer/peer.py's output. Prints one table:

  ours, peer     the JMH score / the peer's mean over measured iterations, and in brackets the
                 fastest iteration (on a shared machine the best estimate of the kernel's cost);
                 ms per op for losses, img/s for augmentation and training, GFLOP/s for GEMM
  ours/peer      OUR TIME / PEER TIME for every row (> 1: we are slower), means (fastest)
  floor          losses only: the matrix products of forward + backward at the best GEMM rate
                 measured on this machine (either side): 2·(2N)²·D flop forward at the rate of
                 [4096,128]x[128,4096], 2·2·(2N)²·D flop backward at the rate of
                 [4096,4096]x[4096,128]; ours/floor and peer/floor divide each side's time by it
Rows with a result on one side only show "-" on the other.
"""

import argparse
import csv
import json
import sys

DIM = 128
FORWARD_SHAPE = "4096x128x4096"
BACKWARD_SHAPE = "4096x4096x128"


def load_jmh(path):
    """Returns {(group, name, key): (mean_ms, fastest_ms, unit_kind)} from JMH json."""
    results = {}
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, ValueError) as error:
        print(f"compare: cannot read JMH results {path}: {error}", file=sys.stderr)
        return results
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
        else:
            print(f"compare: unexpected unit {unit} in {entry['benchmark']}", file=sys.stderr)
            continue
        if cls == "LossBenchmark":
            key = ("loss", params["loss"], int(params["rows"]))
        elif cls == "AugmentationBenchmark":
            key = ("augment", method, int(params["size"]))
        elif cls == "TrainingStepBenchmark":
            key = ("train", params["optimizer"], int(params["batch"]))
        elif cls == "GemmBenchmark":
            key = ("gemm", "matMul", params["shape"])
        else:
            continue
        results[key] = (mean_ms, fastest_ms)
    return results


def load_peer(path):
    results, info = {}, {}
    try:
        with open(path) as f:
            lines = [json.loads(line) for line in f if line.strip().startswith("{")]
    except (OSError, ValueError) as error:
        print(f"compare: cannot read peer results {path}: {error}", file=sys.stderr)
        return results, info
    for r in lines:
        if "peer" in r:
            info = r["peer"]
            continue
        p = r["params"]
        if r["group"] == "loss":
            key = ("loss", r["name"], p["rows"])
        elif r["group"] == "augment":
            key = ("augment", r["name"], p["size"])
        elif r["group"] == "train":
            key = ("train", p["optimizer"], p["batch"])
        else:
            key = ("gemm", "matMul", p["shape"])
        results[key] = (r["mean"], r["min"])
    return results, info


GROUPS = ["loss", "augment", "train", "gemm"]
NAMES = ["NtXent", "SuNCEt", "SupCon", "Nca", "perImage", "batched"]


def order(key):
    """Losses by loss then 2N; augmentation by size then path; then training and GEMM."""
    group, name, size = key
    name_index = NAMES.index(name) if name in NAMES else len(NAMES)
    size_key = size if isinstance(size, int) else 0
    if group == "augment":
        return (GROUPS.index(group), size_key, name_index, str(size))
    return (GROUPS.index(group), name_index, str(name), size_key, str(size))


def gflops(shape, ms):
    m, k, n = (int(x) for x in shape.split("x"))
    return 2.0 * m * k * n / (ms * 1e6)


def fmt(value, digits=None):
    if value is None:
        return "-"
    if digits is None:
        digits = 3 if abs(value) < 10 else (1 if abs(value) < 1000 else 0)
    return f"{value:.{digits}f}"


def pair(mean, fastest, digits=None):
    if mean is None:
        return "-"
    return f"{fmt(mean, digits)} ({fmt(fastest, digits)})"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("jmh")
    parser.add_argument("peer")
    parser.add_argument("--csv")
    args = parser.parse_args()
    ours = load_jmh(args.jmh)
    peer, info = load_peer(args.peer)

    # Best GEMM rate per shape over both sides' fastest iterations.
    best_rate = {}
    for side in (ours, peer):
        for (group, _, shape), (_, fastest) in side.items():
            if group == "gemm":
                best_rate[shape] = max(best_rate.get(shape, 0.0), gflops(shape, fastest))
    forward_rate = best_rate.get(FORWARD_SHAPE) or best_rate.get(BACKWARD_SHAPE)
    backward_rate = best_rate.get(BACKWARD_SHAPE) or best_rate.get(FORWARD_SHAPE)

    rows = []
    keys = sorted(set(ours) | set(peer), key=order)
    # The batched augmentation path has no torchvision twin: compare it with torchvision per image.
    for group, name, size in keys:
        o = ours.get((group, name, size))
        p = peer.get((group, name, size))
        if group == "augment" and name == "batched":
            p = peer.get((group, "perImage", size))
        if o is None and p is None:
            continue
        row = {"benchmark": f"{group} {name}", "size": size}
        time_ratio = (o[0] / p[0], o[1] / p[1]) if o and p else (None, None)
        floor = None
        if group == "loss":
            row["size"] = f"2N={size}"
            row["unit"] = "ms/op"
            row["ours"], row["peer"] = (o or (None, None)), (p or (None, None))
            if forward_rate:
                flop = 2.0 * size * size * DIM
                floor = flop / (forward_rate * 1e6) + 2 * flop / (backward_rate * 1e6)
        elif group in ("augment", "train"):
            per_op = size if group == "train" else 1  # train: an op is a step of `batch` images
            row["size"] = f"{size} px" if group == "augment" else f"B={size}"
            if group == "train":
                row["benchmark"] = f"train step {name}"
            if group == "augment" and name == "batched":
                row["benchmark"] = "augment batched (peer: per image)"
            row["unit"] = "img/s"
            row["ours"] = (per_op * 1000 / o[0], per_op * 1000 / o[1]) if o else (None, None)
            row["peer"] = (per_op * 1000 / p[0], per_op * 1000 / p[1]) if p else (None, None)
        else:
            row["benchmark"] = "gemm matMul"
            row["unit"] = "GFLOP/s"
            row["ours"] = (gflops(size, o[0]), gflops(size, o[1])) if o else (None, None)
            row["peer"] = (gflops(size, p[0]), gflops(size, p[1])) if p else (None, None)
        row["ratio"] = time_ratio
        row["floor"] = floor
        row["ours_floor"] = (o[0] / floor, o[1] / floor) if o and floor else (None, None)
        row["peer_floor"] = (p[0] / floor, p[1] / floor) if p and floor else (None, None)
        rows.append(row)

    table = [("benchmark", "size", "unit", "ours mean (fastest)", "peer mean (fastest)",
              "time ours/peer", "floor ms", "ours/floor", "peer/floor")]
    for r in rows:
        table.append((r["benchmark"], str(r["size"]), r["unit"], pair(*r["ours"]), pair(*r["peer"]),
                      pair(*r["ratio"], digits=2), fmt(r["floor"]) if r["floor"] else "",
                      pair(*r["ours_floor"], digits=1) if r["floor"] else "",
                      pair(*r["peer_floor"], digits=1) if r["floor"] else ""))
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]))]
    for i, line in enumerate(table):
        print("  ".join(cell.ljust(w) if j < 3 else cell.rjust(w)
                        for j, (cell, w) in enumerate(zip(line, widths))).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))
    if forward_rate:
        print(f"\nfloor: GEMM rates {FORWARD_SHAPE} {forward_rate:.1f} GFLOP/s, "
              f"{BACKWARD_SHAPE} {backward_rate:.1f} GFLOP/s (best fastest iteration of either side)")
    print("time ours/peer > 1: ours is slower. Throughput rows compare time per image. "
          "peer: " + ", ".join(f"{k} {v}" for k, v in info.items() if k != "malloc"))

    if args.csv:
        with open(args.csv, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["benchmark", "size", "unit", "ours_mean", "ours_fastest", "peer_mean",
                             "peer_fastest", "time_ratio_mean", "time_ratio_fastest", "floor_ms",
                             "ours_over_floor_fastest", "peer_over_floor_fastest"])
            for r in rows:
                writer.writerow([r["benchmark"], r["size"], r["unit"], *r["ours"], *r["peer"],
                                 *r["ratio"], r["floor"] if r["floor"] else "",
                                 r["ours_floor"][1] if r["floor"] else "",
                                 r["peer_floor"][1] if r["floor"] else ""])


if __name__ == "__main__":
    main()
