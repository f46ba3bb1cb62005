"""Self time per op (and input shapes) of a Chrome trace written by PyTorch's profiler, e.g. the one
org.suncet.benchmarks.EncoderStepProfile writes through DJL (JniUtils.startProfile/stopProfile).
usage: python3 benchmarks/peer/trace_summary.py TRACE.json STEPS [TOP]"""
import collections
import json
import sys


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit("usage: trace_summary.py TRACE.json STEPS [TOP]")
    steps = float(sys.argv[2])
    top = int(sys.argv[3]) if len(sys.argv) == 4 else 25
    with open(sys.argv[1]) as f:
        data = json.load(f)
    events = data["traceEvents"] if isinstance(data, dict) else data
    events = [e for e in events if e.get("ph") == "X" and "dur" in e]
    events.sort(key=lambda e: (e.get("tid"), e["ts"], -e["dur"]))
    own = collections.Counter()
    calls = collections.Counter()
    stack = []
    for e in events:  # an op's self time: its duration less its children's
        while stack and (stack[-1].get("tid") != e.get("tid") or stack[-1]["ts"] + stack[-1]["dur"] <= e["ts"]):
            stack.pop()
        key = (e["name"], str(e.get("shape", ""))[:80])
        if stack:
            parent = stack[-1]
            own[(parent["name"], str(parent.get("shape", ""))[:80])] -= e["dur"]
        own[key] += e["dur"]
        calls[key] += 1
        stack.append(e)
    print(f"self time per step (ms), {steps:g} steps; total {sum(own.values()) / 1e3 / steps:.1f} ms")
    for (name, shape), micros in own.most_common(top):
        print(f"{micros / 1e3 / steps:9.2f} ms {calls[(name, shape)] / steps:5.0f}x {name} {shape}")


if __name__ == "__main__":
    main()
