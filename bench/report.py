#!/usr/bin/env python3
"""Turns the Google Benchmark JSON written by ci/bench.sh into one compact
table (slp figure, its baseline, the ratio, the target) and gnuplot plots.
Standard library only.

Usage:
  bench/report.py [--plots DIR] [--note TEXT] [--time cpu|real] JSON...
  bench/report.py --compare LABEL=JSON[,JSON...] LABEL=JSON[,JSON...] [--filter RE]

The first form prints the table and, with --plots, writes the data files
and PNGs there (bench/plots.gnuplot). The second puts several builds side
by side (ci/bench.sh --resume-experiment): each cell is the median of the
per-run medians, with the range across runs.

Exit status: 1 when a benchmark failed (a baseline missing at build time is
reported, not failed), 2 on bad usage.
"""

import argparse
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys

MISSING_MARK = "missing at build time"
SLICE_SIZES = (0, 64, 256, 1024, 4096, 16384)
# ns per one-way switch, by live bytes per context (docs/PERFORMANCE.md).
SLICE_TARGETS = {256: 15.0, 1024: 20.0, 4096: 60.0}


class Figure:
    """One benchmark's median: ns per round trip and its counters."""

    def __init__(self, name):
        self.name = name
        self.rt_ns = None
        self.cv = None
        self.counters = {}
        self.error = None
        self.repetitions = 0
        self.order = (0, 0)  # registration order in the binary

    @property
    def ok(self):
        return self.error is None and self.rt_ns is not None

    @property
    def switch_ns(self):
        return self.rt_ns / 2 if self.rt_ns is not None else None


UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


def load(path, time_field):
    """Figures by benchmark name from one JSON file, and its context."""
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    by_name = {}
    runs = {}
    for entry in data.get("benchmarks", []):
        name = entry.get("run_name", entry["name"])
        fig = by_name.setdefault(name, Figure(name))
        fig.order = (entry.get("family_index", 0), entry.get("per_family_instance_index", 0))
        if entry.get("error_occurred"):
            fig.error = entry.get("error_message", "error")
            continue
        scale = UNIT_NS.get(entry.get("time_unit", "ns"), 1.0)
        if entry.get("run_type") == "aggregate":
            agg = entry.get("aggregate_name")
            fig.repetitions = entry.get("repetitions", fig.repetitions)
            if agg == "median":
                fig.rt_ns = entry[time_field] * scale
                fig.counters = counters_of(entry)
            elif agg == "cv":
                fig.cv = entry[time_field]
        else:
            runs.setdefault(name, []).append(entry)
    for name, entries in runs.items():
        fig = by_name[name]
        if fig.rt_ns is not None or fig.error is not None:
            continue
        times = sorted(
            e[time_field] * UNIT_NS.get(e.get("time_unit", "ns"), 1.0) for e in entries
        )
        fig.rt_ns = statistics.median(times)
        fig.repetitions = len(entries)
        middle = entries[len(entries) // 2]
        fig.counters = counters_of(middle)
    return by_name, data.get("context", {})


STANDARD_KEYS = {
    "name", "family_index", "per_family_instance_index", "run_name", "run_type",
    "repetitions", "repetition_index", "threads", "aggregate_name",
    "aggregate_unit", "iterations", "real_time", "cpu_time", "time_unit",
    "error_occurred", "error_message", "label",
}


def counters_of(entry):
    return {
        k: v for k, v in entry.items()
        if k not in STANDARD_KEYS and isinstance(v, (int, float))
    }


def combine(runs):
    """Several runs of one benchmark: the median of their medians."""
    if len(runs) == 1:
        return runs[0]
    good = [f for f in runs if f.ok]
    if len(good) < len(runs):
        return next(f for f in runs if not f.ok)
    good.sort(key=lambda f: f.rt_ns)
    fig = Figure(good[0].name)
    fig.order = good[0].order
    fig.rt_ns = statistics.median(f.rt_ns for f in good)
    fig.counters = good[len(good) // 2].counters
    cvs = [f.cv for f in good if f.cv is not None and not math.isnan(f.cv)]
    fig.cv = max(cvs) if cvs else None
    fig.repetitions = good[0].repetitions
    return fig


def fmt_ns(v):
    if v is None:
        return "-"
    return f"{v:.0f}" if v >= 100 else f"{v:.1f}" if v >= 10 else f"{v:.2f}"


def fmt_bytes(v):
    v = int(round(v))
    return f"{v // 1024} KiB" if v >= 1024 and v % 1024 == 0 else f"{v} B"


def short_error(fig):
    if fig is None:
        return "not run"
    if fig.error and MISSING_MARK in fig.error:
        return "missing"
    return "error" if fig.error else "-"


def rows(figs):
    """The table rows: (figure, fig, baseline, base fig, target, copy floor)."""
    get = figs.get
    fcontext = get("BM_BoostJumpFcontext")
    raw = get("BM_SlpRawSwitch")
    out = [
        ("raw switch (2 stacks)", raw, "jump_fcontext", fcontext,
         ("ratio", 1.0)),
        ("raw switch", raw, "callcc", get("BM_BoostCallcc"), None),
        ("raw switch", raw, "swapcontext", get("BM_Swapcontext"), None),
        ("asm only (no engine)", get("BM_SlpAsmSwitch"),
         "jump_fcontext", fcontext, None),
        ("symmetric (2 stacks)", get("BM_SlpSymmetricSwitch/stacks:2"),
         "jump_fcontext", fcontext, None),
        ("symmetric (1 stack)", get("BM_SlpSymmetricSwitch/stacks:1"),
         "jump_fcontext", fcontext, None),
    ]
    for size in SLICE_SIZES:
        fig = get(f"BM_SlpSlicingSwitch/live_bytes:{size}")
        if fig is None:
            continue
        label = f"slicing {fmt_bytes(size)} live"
        if fig.ok and "slice_bytes" in fig.counters:
            label += f" ({fmt_bytes(fig.counters['slice_bytes'])} slice)"
        target = ("switch", SLICE_TARGETS[size]) if size in SLICE_TARGETS else None
        out.append((label, fig, "jump_fcontext", fcontext, target,
                    copy_floor(raw, get(f"BM_MemcpySliceFloor/bytes:{size}"))))
    differ = get("BM_SlpMxcsrStickyFlagsDiffer")
    if differ is not None:
        out += [
            ("MXCSR flags differ", differ, "flags equal (control)",
             get("BM_SlpMxcsrStickyFlagsSame"), ("delta", 1.0)),
            ("MXCSR flags differ", differ, "raw switch", raw, None),
            ("fcontext: MXCSR flags differ",
             get("BM_BoostJumpFcontextMxcsrDiffers"), "flags equal (control)",
             get("BM_BoostJumpFcontextMxcsrSame"), None),
        ]
    return out


def copy_floor(raw, memcpy_floor):
    """ns per switch that slicing cannot go below here: the resident switch
    plus the copying of one switch (BM_MemcpySliceFloor, no switch)."""
    if raw and raw.ok and memcpy_floor and memcpy_floor.ok:
        return raw.switch_ns + memcpy_floor.rt_ns
    return None


def judge(target, fig, base):
    """The target cell: what is asked and whether this run meets it."""
    if target is None:
        return ""
    kind, limit = target
    if not (fig and fig.ok):
        return "n/a"
    if kind == "switch":
        return f"<={limit:g} ns: " + ("ok" if fig.switch_ns <= limit else "MISS")
    if not (base and base.ok):
        return "n/a"
    if kind == "ratio":
        ratio = fig.rt_ns / base.rt_ns
        return f"<={limit:.1f}x: " + ("ok" if ratio <= limit else "MISS")
    delta = (fig.rt_ns - base.rt_ns) / 2
    return f"{delta:+.2f} ns (<{limit:g}): " + ("ok" if delta < limit else "MISS")


def table(figs):
    header = ["slp figure", "ns/RT", "ns/sw", "cv", "baseline", "ns/RT", "ratio",
              "target (per switch)", "floor/sw"]
    lines = []
    for row in rows(figs):
        label, fig, base_label, base, target = row[:5]
        floor = row[5] if len(row) > 5 else None
        if fig is None and base is None:
            continue
        cells = [label]
        if fig and fig.ok:
            cv = f"{fig.cv * 100:.0f}%" if fig.cv is not None and not math.isnan(fig.cv) else ""
            cells += [fmt_ns(fig.rt_ns), fmt_ns(fig.switch_ns), cv]
        else:
            cells += [short_error(fig), "", ""]
        cells.append(base_label)
        cells.append(fmt_ns(base.rt_ns) if base and base.ok else short_error(base))
        if fig and fig.ok and base and base.ok:
            cells.append(f"{fig.rt_ns / base.rt_ns:.2f}x")
        else:
            cells.append("n/a")
        cells.append(judge(target, fig, base))
        if floor is not None and fig and fig.ok:
            cells.append(f"{fmt_ns(floor)} ({fig.switch_ns / floor:.2f}x)")
        else:
            cells.append("")
        lines.append(cells)
    widths = [max(len(r[i]) for r in [header] + lines) for i in range(len(header))]
    numeric = {1, 2, 3, 5, 6}

    def render(r):
        return "| " + " | ".join(
            c.rjust(w) if i in numeric else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))
        ) + " |"

    rule = "|" + "|".join(
        ("-" * (w + 1) + ":") if i in numeric else ("-" * (w + 2)) for i, w in enumerate(widths)
    ) + "|"
    return "\n".join([render(header), rule] + [render(r) for r in lines])


def problems(figs):
    """Benchmarks that failed, other than baselines missing at build time."""
    return [f for f in figs.values() if f.error and MISSING_MARK not in f.error]


def write_plots(figs, outdir, note):
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "plots.gnuplot")
    slice_dat = os.path.join(outdir, "switch_vs_slice.dat")
    rt_dat = os.path.join(outdir, "round_trip.dat")
    fcontext = figs.get("BM_BoostJumpFcontext")
    raw = figs.get("BM_SlpRawSwitch")

    def flat(fig):
        return f"{fig.switch_ns:.3f}" if fig and fig.ok else "NaN"

    with open(slice_dat, "w", encoding="utf-8") as f:
        f.write("# live_bytes slice_bytes slp_ns_per_switch fcontext_ns raw_ns target_ns "
                "floor_ns\n")
        for size in SLICE_SIZES:
            fig = figs.get(f"BM_SlpSlicingSwitch/live_bytes:{size}")
            if not (fig and fig.ok):
                continue
            floor = copy_floor(raw, figs.get(f"BM_MemcpySliceFloor/bytes:{size}"))
            floor_text = f"{floor:.3f}" if floor is not None else "NaN"
            f.write(f"{size} {fig.counters.get('slice_bytes', size):.0f} "
                    f"{fig.switch_ns:.3f} {flat(fcontext)} {flat(raw)} "
                    f"{SLICE_TARGETS.get(size, 'NaN')} {floor_text}\n")
    bars = [
        ("slp raw", "BM_SlpRawSwitch"), ("slp asm floor", "BM_SlpAsmSwitch"),
        ("slp symmetric", "BM_SlpSymmetricSwitch/stacks:2"),
        ("slp slicing 256 B", "BM_SlpSlicingSwitch/live_bytes:256"),
        ("slp slicing 4 KiB", "BM_SlpSlicingSwitch/live_bytes:4096"),
        ("jump_fcontext", "BM_BoostJumpFcontext"), ("callcc", "BM_BoostCallcc"),
        ("swapcontext", "BM_Swapcontext"),
    ]
    with open(rt_dat, "w", encoding="utf-8") as f:
        f.write("# mechanism ns_per_round_trip\n")
        for label, name in bars:
            fig = figs.get(name)
            if fig and fig.ok:
                f.write(f"\"{label}\" {fig.rt_ns:.3f}\n")
    if shutil.which("gnuplot") is None:
        print("report: gnuplot not found (apt-get install gnuplot-nox): no PNG plots; "
              f"data in {slice_dat} and {rt_dat}")
        return []
    title = note.replace('"', "'") if note else ""
    result = subprocess.run(
        ["gnuplot", "-e",
         f"slicefile='{slice_dat}'; rtfile='{rt_dat}'; outdir='{outdir}'; note=\"{title}\"",
         script],
        capture_output=True, text=True, check=False)
    if result.returncode != 0:
        print(f"report: gnuplot failed:\n{result.stderr}", file=sys.stderr)
        return []
    return [os.path.join(outdir, "switch_vs_slice.png"), os.path.join(outdir, "round_trip.png")]


def compare(specs, filt, time_field):
    """Side by side: LABEL=JSON[,JSON...] per build."""
    builds = []
    for spec in specs:
        label, sep, files = spec.partition("=")
        if not sep or not files:
            sys.exit(f"report: --compare wants LABEL=JSON[,JSON...], got {spec!r}")
        per_run = [load(path, time_field)[0] for path in files.split(",")]
        builds.append((label, per_run))
    pattern = re.compile(filt) if filt else None
    order = {}
    for _, per_run in builds:
        for figs in per_run:
            for name, fig in figs.items():
                if pattern is None or pattern.search(name):
                    order.setdefault(name, fig.order)
    names = sorted(order, key=lambda n: order[n])
    header = ["benchmark"] + [f"{label} ns/RT [runs]" for label, _ in builds]
    if len(builds) == 2:
        header.append(f"{builds[1][0]}/{builds[0][0]}")
    lines = []
    for name in names:
        cells = [name]
        medians = []
        for _, per_run in builds:
            values = [f[name].rt_ns for f in per_run if name in f and f[name].ok]
            if not values:
                cells.append("-")
                medians.append(None)
                continue
            m = statistics.median(values)
            medians.append(m)
            cells.append(f"{fmt_ns(m)} [{fmt_ns(min(values))}-{fmt_ns(max(values))}]")
        if len(builds) == 2:
            a, b = medians
            cells.append(f"{b / a:.2f}x" if a and b else "n/a")
        lines.append(cells)
    widths = [max(len(r[i]) for r in [header] + lines) for i in range(len(header))]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in lines:
        print("| " + " | ".join(
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))
        ) + " |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("json", nargs="*", help="benchmark JSON files")
    parser.add_argument("--plots", metavar="DIR", help="write data files and PNGs here")
    parser.add_argument("--note", default="", help="a line printed above the table")
    parser.add_argument("--time", choices=("cpu", "real"), default="cpu",
                        help="which time to report (default: cpu)")
    parser.add_argument("--compare", nargs="+", metavar="LABEL=JSON[,JSON...]")
    parser.add_argument("--filter", help="regex on benchmark names (with --compare)")
    args = parser.parse_args()
    time_field = f"{args.time}_time"

    if args.compare:
        compare(args.compare, args.filter, time_field)
        return 0
    if not args.json:
        parser.error("no JSON files")

    per_name = {}
    contexts = []
    for path in args.json:
        loaded, context = load(path, time_field)
        for name, fig in loaded.items():
            per_name.setdefault(name, []).append(fig)
        contexts.append(context)
    figs = {name: combine(runs) for name, runs in per_name.items()}
    runs = max(len(r) for r in per_name.values()) if per_name else 0
    context = contexts[0] if contexts else {}
    reps = max((f.repetitions for f in figs.values()), default=0)
    load_avg = context.get("load_avg") or []
    facts = [
        f"{'median of ' + str(reps) + ' repetitions' if reps > 1 else 'single run'}"
        + (f", median of {runs} runs' medians (cv: largest run's)" if runs > 1 else ""),
        f"{args.time} time",
        f"slp resume: {context.get('slp_resume', '?')}",
        f"Boost.Context: {context.get('boost_context', '?')}",
        f"load avg {load_avg[0]:.2f}" if load_avg else "",
        f"{context.get('num_cpus', '?')} CPUs",
    ]
    if args.note:
        facts.insert(0, args.note)
    print("; ".join(f for f in facts if f))
    print("RT = round trip = 2 one-way switches; sw = one switch; ratio = figure / baseline "
          "(below 1: slp faster);\nfloor/sw = raw switch + the copying of one switch "
          "(BM_MemcpySliceFloor), and the figure / floor ratio")
    print(table(figs))

    missing = sorted(f.name for f in figs.values() if f.error and MISSING_MARK in f.error)
    if missing:
        print(f"missing baselines (not built): {', '.join(missing)}")
    failed = problems(figs)
    for fig in failed:
        print(f"FAILED {fig.name}: {fig.error}", file=sys.stderr)

    if args.plots:
        for png in write_plots(figs, args.plots, args.note):
            print(f"plot: {png}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
