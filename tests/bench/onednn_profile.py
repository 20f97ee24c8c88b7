#!/usr/bin/env python3
"""Per-primitive profile of a strata run from oneDNN 2.6's verbose log.

    ONEDNN_VERBOSE=1 build/tests/bench/bench_forward --only resnet50_stack --threads 1 2> /dev/null > log
    tests/bench/onednn_profile.py log [--peak GFLOPS] [--batch 1]

oneDNN 2.6 prints one `onednn_verbose,exec,...` line per primitive execution with its time in ms (3.x calls
this ONEDNN_VERBOSE=profile_exec). The script groups executions by primitive (kind, implementation,
problem), keeps those of the requested batch, and prints the median time of each per forward pass with its
convolution GFLOP/s, so the slow layers and any reorder that runs on every pass stand out.
"""
import argparse
import math
import re
import statistics
import sys
from collections import OrderedDict

PROBLEM = re.compile(r"(?:g(\d+))?mb(\d+)_ic(\d+)oc(\d+)_ih(\d+)oh(\d+)kh(\d+)\S*?_iw(\d+)ow(\d+)kw(\d+)")


def conv_macs(problem):
    m = PROBLEM.search(problem)
    if not m:
        return None
    g, mb, ic, oc, _ih, oh, kh, _iw, ow, kw = (int(x) if x else None for x in m.groups())
    g = g or 1
    return mb * oc * oh * ow * kh * kw * ic // g


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("log")
    ap.add_argument("--peak", type=float, default=0.0, help="single-core GFLOP/s, for a %% of peak column")
    ap.add_argument("--batch", type=int, default=1, help="keep primitives whose problem says mb<batch>")
    ap.add_argument("--skip", type=int, default=2, help="executions of each primitive to drop as warm-up")
    args = ap.parse_args()

    times = OrderedDict()  # (kind, impl, problem, post-ops) -> [ms, ...], in first-seen (= run) order
    started = False  # a primitive other than a reorder has run: weight reorders after this are per pass
    reorders_while_running = 0
    with open(args.log) as f:
        for line in f:
            if not line.startswith("onednn_verbose,exec,"):
                continue
            fields = line.rstrip("\n").split(",")
            kind, impl, problem, ms = fields[3], fields[4], fields[-2], float(fields[-1])
            if kind == "reorder":
                key = (kind, impl, problem, "")
                reorders_while_running += started
            else:
                if f"mb{args.batch}_" not in problem and f"mb{args.batch}ic" not in problem:
                    continue
                key = (kind, impl, problem, fields[7].strip())
                started = True
            times.setdefault(key, []).append(ms)

    # Each forward pass runs every primitive of the plan; a key seen k times per pass (identical blocks
    # share a problem) appears k * passes times.
    passes = 0
    for (kind, *_), ms in times.items():
        if kind != "reorder":
            passes = math.gcd(passes, len(ms))
    if passes == 0:
        print("no primitive executions for this batch in the log", file=sys.stderr)
        return 1

    total_ms = total_macs = 0.0
    rows = []
    for (kind, impl, problem, attrs), ms in times.items():
        per_pass = 1 if kind == "reorder" else len(ms) // passes
        kept = ms[args.skip * per_pass:] if kind != "reorder" and passes > args.skip else ms
        med = statistics.median(kept)
        macs = conv_macs(problem) if kind == "convolution" else None
        if kind != "reorder":
            total_ms += med * per_pass
            total_macs += (macs or 0) * per_pass
        rows.append((kind, impl, problem, attrs, len(ms), per_pass, med, macs))

    print(f"{passes} forward passes in the log, the first {args.skip} dropped as warm-up\n")
    print(f"{'#':>3} {'kind':<12} {'implementation':<24} {'x/pass':>6} {'median ms':>9} {'GFLOP/s':>8} "
          f"{'% peak':>6}  problem / post-ops")
    for i, (kind, impl, problem, attrs, n, per_pass, med, macs) in enumerate(rows):
        gflops = 2 * macs / med * 1e-6 if macs else 0.0
        pct = f"{100 * gflops / args.peak:5.1f}%" if macs and args.peak else ""
        gf = f"{gflops:8.1f}" if macs else ""
        mult = "compile" if kind == "reorder" else str(per_pass)
        print(f"{i:>3} {kind:<12} {impl:<24} {mult:>6} {med:9.3f} {gf:>8} {pct:>6}  {problem} {attrs}")
    gflops = 2 * total_macs / total_ms * 1e-6
    print(f"\nper pass: primitives sum to {total_ms:.3f} ms; convolutions {2 * total_macs * 1e-9:.3f} GFLOP at "
          f"{gflops:.1f} GFLOP/s" + (f" = {100 * gflops / args.peak:.1f}% of {args.peak:.1f}" if args.peak else ""))
    reorders = [r for r in rows if r[0] == "reorder"]
    print(f"reorders: {sum(r[4] for r in reorders)} executions, {reorders_while_running} of them after the first "
          f"forward pass began ({reorders_while_running / passes:.1f} per pass; profile one plan at a time, "
          "e.g. --only NAME --threads N, since compiling the next plan reorders its weights)")
    slow = [r for r in rows if r[1].startswith("ref")]
    print("reference (slow) implementations: " + (", ".join(f"{r[0]} {r[2]}" for r in slow) if slow else "none"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
