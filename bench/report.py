#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Turns the Google Benchmark JSON written by ci/bench.sh into one compact
table (each slp figure, its baseline, the ratio, the target and its
verdict) and gnuplot plots. Standard library only.

Usage:
  bench/report.py [--plots DIR] [--note TEXT] [--time cpu|real] JSON...
  bench/report.py --compare LABEL=JSON[,JSON...] LABEL=JSON[,JSON...] [--filter RE]

The first form reads the JSON of any of slp's benchmark binaries (several
files of one binary are several runs: each figure is then the median of
the runs' medians), prints the table and, with --plots, writes the plot
data and PNGs there (bench/plots.gnuplot). The JSON of bench/workloads.py
gets a table of its own: per program, slp's median time against Boost.Fiber
and Go and the peak RSS of each. The second puts several builds
of one binary side by side (for example a tree before and after a change,
run alternately): each cell is
the median of the per-run medians of the time per iteration, with the range
across runs.

Every figure is a ratio against a baseline measured in the same binary, in
the same run. A baseline that was not built reads "missing", a case that
cannot run on this machine "not run" (the reason is printed below the
table); neither is a failure.

Exit status: 1 when a benchmark failed, 2 on bad usage.
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
NOT_RUN_MARK = "not run here: "
SLICE_SIZES = (0, 64, 256, 1024, 4096, 16384)
# ns per one-way switch, by live bytes per context (docs/PERFORMANCE.md).
SLICE_TARGETS = {256: 15.0, 1024: 20.0, 4096: 60.0}
MEMORY_SLICES = (64, 256, 1024, 4096)
MEMORY_COUNTS = (1000, 100000, 1000000, 10000000)
ROUND_ROBIN_COUNTS = (1000, 100000, 1000000)
# Suffixes Google Benchmark adds to a name that do not identify a case.
NAME_NOISE = re.compile(r"/(iterations:\d+|repeats:\d+|manual_time|real_time|min_time:[\d.]+)")
UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
# The per-unit counters (seconds per unit) and how the table names the unit.
UNITS = {"per_switch": "sw", "per_msg": "msg", "per_life": "life", "per_tick": "tick"}


class Figure:
    """One benchmark's median: time per iteration, counters, spread."""

    def __init__(self, binary, name):
        self.binary = binary
        self.name = name
        self.time_ns = None  # per iteration
        self.cv = None
        self.counters = {}
        self.error = None
        self.label = ""
        self.repetitions = 0
        self.order = (0, 0)  # registration order in the binary

    @property
    def ok(self):
        return self.error is None and self.time_ns is not None

    @property
    def rt_ns(self):  # the switch benchmarks: one iteration is a round trip
        return self.time_ns

    @property
    def switch_ns(self):
        return self.time_ns / 2 if self.time_ns is not None else None

    def per(self, unit):
        """ns per `unit` (a per_* counter), bytes for a byte counter."""
        if not self.ok:
            return None
        if unit in UNITS:
            value = self.counters.get(unit)
            return value * 1e9 if value is not None else None
        return self.counters.get(unit)

    @property
    def state(self):
        """'ok', 'missing', 'not run' or 'error'."""
        if self.ok:
            return "ok"
        if self.error and MISSING_MARK in self.error:
            return "missing"
        if self.error and self.error.startswith(NOT_RUN_MARK):
            return "not run"
        return "error"


def binary_of(path, context):
    exe = os.path.basename(context.get("executable", "")) or os.path.basename(path)
    return re.sub(r"(-\d+)?\.json$", "", exe)


def load(path, time_field):
    """Figures by benchmark name from one JSON file, its binary and context."""
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    context = data.get("context", {})
    binary = binary_of(path, context)
    by_name = {}
    runs = {}
    for entry in data.get("benchmarks", []):
        name = NAME_NOISE.sub("", entry.get("run_name", entry["name"]))
        fig = by_name.setdefault(name, Figure(binary, name))
        fig.order = (entry.get("family_index", 0), entry.get("per_family_instance_index", 0))
        if entry.get("error_occurred"):
            fig.error = entry.get("error_message", "error")
            continue
        if entry.get("label"):
            fig.label = entry["label"]
        scale = UNIT_NS.get(entry.get("time_unit", "ns"), 1.0)
        if entry.get("run_type") == "aggregate":
            agg = entry.get("aggregate_name")
            fig.repetitions = entry.get("repetitions", fig.repetitions)
            if agg == "median":
                fig.time_ns = entry[time_field] * scale
                fig.counters = counters_of(entry)
            elif agg == "cv":
                fig.cv = entry[time_field]
        else:
            runs.setdefault(name, []).append(entry)
    for name, entries in runs.items():
        fig = by_name[name]
        if fig.time_ns is not None or fig.error is not None:
            continue
        entries.sort(key=lambda e: e[time_field] * UNIT_NS.get(e.get("time_unit", "ns"), 1.0))
        fig.time_ns = statistics.median(
            e[time_field] * UNIT_NS.get(e.get("time_unit", "ns"), 1.0) for e in entries)
        fig.repetitions = len(entries)
        fig.counters = counters_of(entries[len(entries) // 2])
    return binary, by_name, context


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
    good.sort(key=lambda f: f.time_ns)
    fig = Figure(good[0].binary, good[0].name)
    fig.order = good[0].order
    fig.label = good[0].label
    fig.time_ns = statistics.median(f.time_ns for f in good)
    fig.counters = dict(good[len(good) // 2].counters)
    for key in fig.counters:  # per-unit counters: the median of the runs
        values = [f.counters[key] for f in good if key in f.counters]
        if len(values) == len(good):
            fig.counters[key] = statistics.median(values)
    cvs = [f.cv for f in good if f.cv is not None and not math.isnan(f.cv)]
    fig.cv = max(cvs) if cvs else None
    fig.repetitions = good[0].repetitions
    return fig


# --- formatting ---------------------------------------------------------------

def fmt_ns(v):
    """A figure in nanoseconds, without its unit (the caller writes it)."""
    if v is None:
        return "-"
    return f"{v:.0f}" if v >= 100 else f"{v:.1f}" if v >= 10 else f"{v:.2f}"


def fmt_ns_per(v, unit):
    """A figure in nanoseconds with its unit ("ns/pass"), in microseconds
    from 10 us on ("44.3 us/pass")."""
    if v is not None and v >= 10000 and unit.startswith("ns"):
        return f"{v / 1000:.1f} us{unit[2:]}"
    return f"{fmt_ns(v)} {unit}"


def fmt_bytes(v):
    v = int(round(v))
    return f"{v // 1024} KiB" if v >= 1024 and v % 1024 == 0 else f"{v} B"


def fmt_count(n):
    for div, suffix in ((1000000, " M"), (1000, " k")):
        if n >= div and n % div == 0:
            return f"{n // div}{suffix}"
    return str(n)


# --- targets -----------------------------------------------------------------

class Check:
    """One target: `kind` is 'value' (figure <= limit), 'ratio' (figure /
    baseline <= limit), 'delta' (figure - baseline <= limit) or 'same'
    (|figure - baseline| <= limit)."""

    def __init__(self, kind, limit, text):
        self.kind, self.limit, self.text = kind, limit, text

    def judge(self, value, base):
        if value is None:
            return f"{self.text}: n/a"
        if self.kind == "value":
            measured = value
        elif base is None:
            return f"{self.text}: n/a"
        elif self.kind == "ratio":
            measured = value / base
        else:
            measured = value - base
            if self.kind == "same":
                measured = abs(measured)
        if measured <= self.limit:
            return f"{self.text}: ok"
        if self.kind in ("value", "ratio"):
            return f"{self.text}: MISS x{measured / self.limit:.2f}"
        return f"{self.text}: MISS by {measured - self.limit:+.2f}"


class Row:
    """A table row: an slp figure in `unit`, a baseline, targets, a note."""

    def __init__(self, label, fig, unit, base_label="", base=None, base_unit=None,
                 checks=(), note="", per_label=None):
        self.label, self.fig, self.unit = label, fig, unit
        self.base_label, self.base, self.base_unit = base_label, base, base_unit or unit
        self.checks, self.note = list(checks), note
        self.per_label = per_label or UNITS.get(unit, "B" if "bytes" in unit else unit)

    def value(self):
        return self.fig.per(self.unit) if self.fig else None

    def base_value(self):
        return self.base.per(self.base_unit) if self.base else None


def cell_of(fig, value, fmt):
    if fig is None:
        return "not run"
    if not fig.ok:
        return fig.state
    return fmt(value) if value is not None else "-"


class Figures:
    """Every figure, by binary and name."""

    def __init__(self, figs):
        self.figs = figs

    def get(self, binary, name):
        return self.figs.get((binary, name))

    def all(self):
        return self.figs.values()


def switch_rows(F):
    """switch_bench: the engine's switch, per one-way switch."""
    get = lambda name: F.get("switch_bench", name)
    fcontext = get("BM_BoostJumpFcontext")
    # The engine's switch as tasklets reach it (one call site, as through the
    # entry thunks); BM_SlpRawSwitch adds a return mispredict to each switch.
    raw = get("BM_SlpSymmetricSwitch")
    if raw is None and fcontext is None:
        return []
    rows = [
        Row("engine switch, 2 stacks (RT/2)", raw, "per_switch", "jump_fcontext", fcontext,
            checks=[Check("ratio", 1.0, "<=1.0x")]),
        Row("engine switch", raw, "per_switch", "callcc", get("BM_BoostCallcc")),
        Row("engine switch", raw, "per_switch", "swapcontext", get("BM_Swapcontext")),
        Row("engine, two call sites", get("BM_SlpRawSwitch"), "per_switch",
            "jump_fcontext", fcontext, note="a return mispredict per switch"),
        Row("asm only: slp_swap, one call site", get("BM_SlpAsmSwapOneSite"), "per_switch",
            "jump_fcontext", fcontext),
        Row("asm only: slp_swap, two call sites", get("BM_SlpAsmSwap"), "per_switch",
            "jump_fcontext", fcontext),
        Row("asm only: slp_switch + callback", get("BM_SlpAsmSwitch"), "per_switch",
            "jump_fcontext", fcontext),
    ]
    for label, name in (
        ("floor: no FP control state", "BM_SwapFloorNoFp"),
        ("floor: FP words stored only", "BM_SwapFloorFpStore"),
        ("floor: stored + always reloaded", "BM_SwapFloorFpReload"),
    ):
        if get(name) is not None:
            rows.append(Row(label, get(name), "per_switch", "jump_fcontext", fcontext,
                            note="cost probe, not a correct switch"))
    for size in SLICE_SIZES:
        fig = get(f"BM_SlpSlicingSwitch/live_bytes:{size}")
        if fig is None:
            continue
        label = f"engine slicing, {fmt_bytes(size)} live"
        if fig.ok and "slice_bytes" in fig.counters:
            label += f" ({fmt_bytes(fig.counters['slice_bytes'])} slice)"
        checks = [Check("value", SLICE_TARGETS[size], f"<={SLICE_TARGETS[size]:g} ns")] \
            if size in SLICE_TARGETS else []
        floor = copy_floor(raw, get(f"BM_SliceCopyFloor/bytes:{size}"))
        note = f"copy floor {fmt_ns(floor)} ns ({fig.switch_ns / floor:.2f}x)" \
            if floor and fig.ok else ""
        rows.append(Row(label, fig, "per_switch", "jump_fcontext", fcontext, checks=checks,
                        note=note))
    differ = get("BM_SlpMxcsrStickyFlagsDiffer")
    if differ is not None:
        rows += [
            Row("MXCSR sticky flags differ", differ, "per_switch", "flags equal",
                get("BM_SlpMxcsrStickyFlagsSame"), checks=[Check("delta", 1.0, "<+1 ns")]),
            Row("fcontext: MXCSR flags differ", get("BM_BoostJumpFcontextMxcsrDiffers"),
                "per_switch", "flags equal", get("BM_BoostJumpFcontextMxcsrSame"),
                note="a baseline's own cliff"),
        ]
    return rows


def copy_floor(raw, slice_copy):
    """ns per switch that slicing cannot go below here: the resident switch
    plus the copying of one switch (BM_SliceCopyFloor, no switch)."""
    if raw and raw.ok and slice_copy and slice_copy.ok:
        return raw.switch_ns + slice_copy.time_ns
    return None


def nearest_slice(figs, target):
    """Of ping-pong figures with a slice_bytes counter, the one nearest."""
    good = [f for f in figs if f and f.ok and f.counters.get("slice_bytes")]
    return min(good, key=lambda f: abs(f.counters["slice_bytes"] - target), default=None)


def tasklet_rows(F):
    """tasklet_bench: schedule(), a tasklet's life, hooks, tick, round-robin."""
    get = lambda name: F.get("tasklet_bench", name)
    fcontext = get("BM_BoostJumpFcontext")
    if fcontext is None and get("BM_SlpTaskletLife") is None:
        return []
    resident = get("BM_SlpSchedulePingPong/stacks:2/live_bytes:0")
    rows = [
        Row("schedule() ping-pong, 2 stacks", resident, "per_switch", "jump_fcontext", fcontext,
            checks=[Check("ratio", 2.0, "<=2.0x")]),
        Row("schedule() ping-pong, 2 stacks", resident, "per_switch", "Fiber yield",
            get("BM_FiberYield")),
    ]
    one_stack = [get(f"BM_SlpSchedulePingPong/stacks:1/live_bytes:{n}")
                 for n in (0, 64, 256, 1024, 4096)]
    smallest = nearest_slice(one_stack, 0)
    near_296 = nearest_slice(one_stack, 296)
    for n, fig in zip((0, 64, 256, 1024, 4096), one_stack):
        if fig is None:
            continue
        label = f"schedule(), 1 stack, {fmt_bytes(n)} live"
        if fig.ok:
            label += f" ({fmt_bytes(fig.counters.get('slice_bytes', 0))} slice)"
        checks = []
        if fig is smallest:
            checks.append(Check("value", 14.0, "<=14 ns @~24 B"))
        if fig is near_296:
            checks.append(Check("value", 18.0, "<=18 ns @~296 B"))
        rows.append(Row(label, fig, "per_switch", "jump_fcontext", fcontext, checks=checks))
    rows += [
        Row("fast hook installed (paired)", get("BM_SlpScheduleHook/callback:0"), "hooked_ns",
            "no hook, same run", get("BM_SlpScheduleHook/callback:0"), base_unit="plain_ns",
            per_label="sw", checks=[Check("delta", 2.0, "<=+2 ns")]),
        Row("schedule callback installed (paired)", get("BM_SlpScheduleHook/callback:1"),
            "hooked_ns", "no hook, same run", get("BM_SlpScheduleHook/callback:1"),
            base_unit="plain_ns", per_label="sw"),
        Row("no hook, A/A of the pairing", get("BM_SlpScheduleHook/callback:0"), "aa_ns",
            per_label="sw", note="2nd plain phase - 1st: the noise floor"),
        Row("tasklet create+setup+run+destroy", get("BM_SlpTaskletLife"), "per_life",
            "Fiber create+join", get("BM_FiberCreateJoin"),
            checks=[Check("value", 100.0, "<=100 ns")]),
        Row("tasklet create+setup+destroy, unrun", get("BM_SlpTaskletUnrun"), "per_life",
            "Fiber create+join", get("BM_FiberCreateJoin")),
        Row("tick(), no watchdog", get("BM_SlpTick"), "per_tick", "TLS counter",
            get("BM_ThreadLocalCounter"), checks=[Check("value", 1.0, "<=1 ns")]),
        Row("tick(), watchdog, budget left", get("BM_SlpTickWatchdog/time_budget:0"),
            "per_tick", "TLS counter", get("BM_ThreadLocalCounter"),
            checks=[Check("value", 2.0, "<=2 ns")]),
        Row("tick(), wall-clock time_budget", get("BM_SlpTickWatchdog/time_budget:1"),
            "per_tick", "TLS counter", get("BM_ThreadLocalCounter"),
            note="reads the clock at every tick"),
    ]
    for n in ROUND_ROBIN_COUNTS:
        base = get(f"BM_FiberRoundRobin/fibers:{n}")
        for shuffled in (0, 1):
            fig = get(f"BM_SlpRoundRobin/tasklets:{n}/shuffled:{shuffled}")
            if not ran(fig, base):
                continue
            note = f"{fmt_bytes(fig.counters['slice_bytes'])} slices" \
                if fig and fig.ok and fig.counters.get("slice_bytes") else ""
            order = "random order" if shuffled else "allocation order"
            rows.append(Row(f"round-robin, {fmt_count(n)} tasklets, {order}", fig,
                            "per_switch", f"Fiber, {fmt_count(n)} fibers", base, note=note))
    return rows


def channel_rows(F):
    """channel_bench: ping-pong, streams, threads."""
    get = lambda name: F.get("channel_bench", name)
    unbuffered = get("BM_FiberUnbufferedPingPong")
    if unbuffered is None and get("BM_SlpChannelPingPong/preference:-1") is None:
        return []
    targets = [Check("value", 30.0, "<=30 ns"), Check("ratio", 0.2, "<=0.2x")]
    rows = []
    for pref in (-1, 0, 1):
        rows.append(Row(f"channel ping-pong, preference {pref:+d}",
                        get(f"BM_SlpChannelPingPong/preference:{pref}"), "per_msg",
                        "Fiber unbuffered", unbuffered, checks=targets))
    rows.append(Row("channel ping-pong, schedule_all", get("BM_SlpChannelPingPongScheduleAll"),
                    "per_msg", "Fiber unbuffered", unbuffered, checks=targets))
    default = get("BM_SlpChannelPingPong/preference:-1")
    rows += [
        Row("channel ping-pong, preference -1", default, "per_msg", "Fiber buffered(2)",
            get("BM_FiberBufferedPingPong"), checks=[Check("ratio", 0.2, "<=0.2x")]),
        Row("channel ping-pong, preference -1", default, "per_msg", "Fiber yield (per sw)",
            get("BM_FiberYield"), base_unit="per_switch", checks=[Check("ratio", 0.2, "<=0.2x")]),
    ]
    sequence = get("BM_SlpChannelSendSequence/elements:1024")
    rows += [
        Row("send_sequence, 1024 ints", sequence, "per_msg", "slp send() loop",
            get("BM_SlpChannelSendLoop/elements:1024")),
        Row("send_sequence, 1024 ints", sequence, "per_msg", "Fiber unbuffered loop",
            get("BM_FiberUnbufferedStream/elements:1024")),
        Row("send_sequence, 1024 ints", sequence, "per_msg", "Fiber buffered(64) loop",
            get("BM_FiberBufferedStream/elements:1024")),
    ]
    for placement, text in ((0, "threads on 1 CPU"), (1, "1 CPU per thread"),
                            (2, "threads unpinned")):
        rows.append(Row(f"cross-thread ping-pong, {text}",
                        get(f"BM_SlpThreadPingPong/placement:{placement}"), "per_msg",
                        "mutex+condvar", get(f"BM_MutexCondvarPingPong/placement:{placement}"),
                        checks=[Check("ratio", 1.0, "<=1.0x")], note="real time"))
    return rows


def memory_rows(F):
    """memory_bench: resident bytes per parked tasklet."""
    get = lambda name: F.get("memory_bench", name)
    rows = []
    for live in MEMORY_SLICES:
        for count in MEMORY_COUNTS:
            fig = get(f"BM_SlpParkedTasklets/tasklets:{count}/live_bytes:{live}")
            base = get(f"BM_BoostFixedsizeParked/coroutines:{count}/live_bytes:{live}")
            if not ran(fig, base):
                continue
            checks, note = [], ""
            if fig.ok:
                slice_bytes = fig.counters.get("slice_bytes", 0)
                checks.append(Check("value", slice_bytes + 256,
                                    f"<=slice+256 ({slice_bytes + 256:.0f} B)"))
                if live == 256 and count == 1000000:
                    checks.append(Check("value", 512, "<=512 B"))
                bytes_ = fig.per("bytes_per_tasklet")
                note = (f"slice {slice_bytes:.0f} + {bytes_ - slice_bytes:.0f};"
                        f" heap {fig.counters.get('heap_per_tasklet', 0):.0f}")
            rows.append(Row(f"parked, {fmt_bytes(live)} live, {fmt_count(count)}", fig,
                            "bytes_per_tasklet", "Boost fixedsize 16K", base, checks=checks,
                            note=note, per_label="B"))
        protected = get(f"BM_BoostProtectedParked/coroutines:1000/live_bytes:{live}")
        fig = get(f"BM_SlpParkedTasklets/tasklets:1000/live_bytes:{live}")
        if protected is not None and fig is not None:
            rows.append(Row(f"parked, {fmt_bytes(live)} live, 1 k", fig, "bytes_per_tasklet",
                            "Boost protected 16K", protected, per_label="B"))
    return rows


def ran(*figs):
    """Whether any of the figures has a value (rows where none ran, beyond
    --slp_max_tasklets, are left out; the list below the table names them)."""
    return any(f is not None and f.ok for f in figs)


def fmt_value(unit):
    return (lambda v: f"{v:.0f}") if "bytes" in unit else fmt_ns


def table(rows):
    header = ["slp figure", "slp", "per", "cv", "baseline", "baseline", "ratio", "target",
              "note"]
    lines = []
    for row in rows:
        fig, base = row.fig, row.base
        if fig is None and base is None:
            continue
        value, base_value = row.value(), row.base_value()
        cv = ""
        if fig and fig.ok and fig.cv is not None and not math.isnan(fig.cv):
            cv = f"{fig.cv * 100:.0f}%"
        ratio = f"{value / base_value:.2f}x" if value and base_value else "n/a"
        if not row.base_label:
            ratio = ""
        cells = [
            row.label,
            cell_of(fig, value, fmt_value(row.unit)),
            row.per_label if fig and fig.ok else "",
            cv,
            row.base_label,
            cell_of(base, base_value, fmt_value(row.base_unit)) if row.base_label else "",
            ratio,
            "; ".join(c.judge(value, base_value) for c in row.checks),
            row.note,
        ]
        lines.append(cells)
    widths = [max(len(r[i]) for r in [header] + lines) for i in range(len(header))]
    numeric = {1, 3, 5, 6}

    def render(r):
        return "| " + " | ".join(
            c.rjust(w) if i in numeric else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))
        ) + " |"

    rule = "|" + "|".join(
        ("-" * (w + 1) + ":") if i in numeric else ("-" * (w + 2)) for i, w in enumerate(widths)
    ) + "|"
    return "\n".join([render(header), rule] + [render(r) for r in lines])


# --- workloads (bench/workloads.py) ------------------------------------------

RUNTIME_NAMES = {"slp": "slp", "fiber": "Boost.Fiber", "go": "Go"}
SHORT_NAMES = {"fiber": "Fiber", "go": "Go"}
# Issue 24's targets: (baseline runtime, limit of slp / baseline) per row.
WORKLOAD_TARGETS = {
    "thread-ring": [("fiber", 0.8), ("go", 0.4)],
    "prime-sieve": [("fiber", 0.8), ("go", 0.7)],
    "tree": [("go", 0.8)],
    "tree-exit": [("go", 2.0)],
}
WORKLOAD_RSS_TARGETS = {"tree": [("go", 1.5)]}


def is_workloads(path):
    """Whether a JSON file is bench/workloads.py's rather than a binary's."""
    with open(path, encoding="utf-8") as f:
        return "workloads" in json.load(f)


def load_workloads(paths):
    """Cases by (program, runtime), each with the medians of its runs, and
    the context of the first file."""
    cases, context = {}, {}
    for path in paths:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        context = context or data.get("context", {})
        for case in data["workloads"]:
            key = (case["program"], case["runtime"])
            old = cases.get(key)
            if old is not None and old["state"] == "ok" and case["state"] == "ok":
                old["runs"] += case["runs"]
            elif old is None or case["state"] == "error":
                cases[key] = dict(case, runs=list(case["runs"]))
    for case in cases.values():
        runs = case["runs"]
        if case["state"] == "ok" and not runs:
            case["state"], case["reason"] = "error", "no run"
        for field in ("result_ns", "result_cpu_ns", "exit_ns", "exit_cpu_ns", "peak_rss_kib"):
            values = [r[field] for r in runs if r.get(field) is not None]
            case[field] = statistics.median(values) if values else None
    return cases, context


def fmt_duration(ns):
    if ns >= 1e9:
        return f"{ns / 1e9:.2f} s"
    if ns >= 1e6:
        return f"{ns / 1e6:.1f} ms"
    return f"{ns / 1e3:.0f} us"


def fmt_rss(kib):
    return f"{kib / 1024:.0f} MiB" if kib >= 10240 else f"{kib / 1024:.1f} MiB"


def workload_table(cases):
    """The workloads table: per program, the three runtimes' medians, slp's
    ratios to each baseline, the peak RSS of each and the targets."""
    def case(program, runtime):
        return cases.get((program, runtime))

    def size_of(program):
        c = case(program, "slp")
        return c["size"] if c else None

    rows = []  # (label, metric key, per-unit divisor, unit, target key, rss?)
    if size_of("thread-ring"):
        n = size_of("thread-ring")
        rows.append((f"thread-ring, 503 tasklets, {fmt_count(n)} passes", "thread-ring",
                     "result_ns", n, "ns/pass", "thread-ring", True))
    if size_of("prime-sieve"):
        n = size_of("prime-sieve")
        rows.append((f"prime sieve, first {fmt_count(n)} primes", "prime-sieve", "result_ns",
                     None, "", "prime-sieve", True))
    if size_of("tree"):
        n = size_of("tree")
        tasks = sum(n // 10 ** k for k in range(len(str(n))))
        rows.append((f"tree, {fmt_count(n)} leaves ({tasks:,} tasks): to the result", "tree",
                     "result_ns", None, "", "tree", True))
        rows.append(("tree, the same: to process exit", "tree", "exit_ns", None, "",
                     "tree-exit", False))
    if size_of("worker-pool"):
        n = size_of("worker-pool")
        rows.append((f"worker pool, 100 workers, {fmt_count(n)} jobs", "worker-pool",
                     "result_ns", n, "ns/job", "worker-pool", True))

    def value(program, runtime, field, per):
        c = case(program, runtime)
        if c is None or c["state"] != "ok" or c[field] is None:
            return None
        return c[field] / per if per else c[field]

    def cell(program, runtime, field, per, unit):
        c = case(program, runtime)
        if c is None:
            return "-"
        if c["state"] != "ok":
            return c["state"]
        v = value(program, runtime, field, per)
        return fmt_ns_per(v, unit) if per else fmt_duration(v)

    def rss_cell(program, runtime):
        c = case(program, runtime)
        if c is None:
            return "-"
        if c["state"] != "ok":
            return c["state"]
        return fmt_rss(c["peak_rss_kib"])

    header = ["workload", "slp", "Boost.Fiber", "Go", "slp/Fiber", "slp/Go",
              "CPU slp/Fiber", "CPU slp/Go", "RSS slp", "RSS Fiber", "RSS Go", "target"]
    lines = []
    for label, program, field, per, unit, target_key, rss in rows:
        slp = value(program, "slp", field, per)
        slp_cpu = value(program, "slp", field.replace("_ns", "_cpu_ns"), per)
        ratios, cpu_ratios = {}, {}
        for base in ("fiber", "go"):
            b = value(program, base, field, per)
            ratios[base] = slp / b if slp and b else None
            b = value(program, base, field.replace("_ns", "_cpu_ns"), per)
            cpu_ratios[base] = slp_cpu / b if slp_cpu and b else None
        verdicts = []
        for base, limit in WORKLOAD_TARGETS.get(target_key, []):
            verdicts.append(judge_ratio(ratios[base], limit, SHORT_NAMES[base]))
        if rss:
            slp_rss = value(program, "slp", "peak_rss_kib", None)
            for base, limit in WORKLOAD_RSS_TARGETS.get(program, []):
                b = value(program, base, "peak_rss_kib", None)
                verdicts.append("RSS " + judge_ratio(slp_rss / b if slp_rss and b else None,
                                                     limit, SHORT_NAMES[base]))
        lines.append([
            label,
            cell(program, "slp", field, per, unit),
            cell(program, "fiber", field, per, unit),
            cell(program, "go", field, per, unit),
            f"{ratios['fiber']:.2f}x" if ratios["fiber"] else "n/a",
            f"{ratios['go']:.2f}x" if ratios["go"] else "n/a",
            f"{cpu_ratios['fiber']:.2f}x" if cpu_ratios["fiber"] else "n/a",
            f"{cpu_ratios['go']:.2f}x" if cpu_ratios["go"] else "n/a",
            rss_cell(program, "slp") if rss else "",
            rss_cell(program, "fiber") if rss else "",
            rss_cell(program, "go") if rss else "",
            "; ".join(verdicts),
        ])
    widths = [max(len(r[i]) for r in [header] + lines) for i in range(len(header))]

    def render(r):
        return "| " + " | ".join(
            c.ljust(w) if i in (0, 11) else c.rjust(w)
            for i, (c, w) in enumerate(zip(r, widths))) + " |"

    rule = "|" + "|".join(("-" * (w + 2)) if i in (0, 11) else ("-" * (w + 1) + ":")
                          for i, w in enumerate(widths)) + "|"
    return "\n".join([render(header), rule] + [render(r) for r in lines])


def judge_ratio(ratio, limit, base_name):
    text = f"<={limit:g}x {base_name}"
    if ratio is None:
        return f"{text}: n/a"
    return f"{text}: ok" if ratio <= limit else f"{text}: MISS x{ratio / limit:.2f}"


def report_workloads(paths, note):
    """Prints the workloads table and what was missing or failed; returns
    whether every case that ran gave its answer."""
    cases, context = load_workloads(paths)
    runs = max((len(c["runs"]) for c in cases.values()), default=0)
    facts = [note, f"workloads, {context.get('size', '?')} sizes",
             f"median of {runs} processes per figure" if runs > 1 else "one process per figure",
             context.get("pin", "")]
    print()
    print("; ".join(f for f in facts if f))
    print("each run a whole process; the time to the result measured inside it (steady "
          "clock), to exit and peak RSS by\nits parent (wait4); slp/Fiber, slp/Go: ratios of "
          "the wall times (below 1: slp is faster); CPU slp/...: the same\nratios of the process's "
          "CPU times, which another process on the same CPU does not stretch; targets on "
          "wall time")
    print(workload_table(cases))
    ok = True
    skipped = {}
    for (program, runtime), c in sorted(cases.items()):
        if c["state"] in ("missing", "not run"):
            key = (c["state"], RUNTIME_NAMES[runtime], c["reason"])
            skipped.setdefault(key, []).append(program)
        elif c["state"] == "error":
            print(f"FAILED workload {RUNTIME_NAMES[runtime]} {program} {c['size']}: "
                  f"{c['reason']}", file=sys.stderr)
            ok = False
    for (state, runtime, reason), programs in sorted(skipped.items()):
        print(f"{state}: {runtime} ({', '.join(programs)}): {reason}")
    return ok


# --- plots -------------------------------------------------------------------

def write_plots(F, outdir, note):
    """The plot data files and, with gnuplot, the PNGs; returns their paths."""
    os.makedirs(outdir, exist_ok=True)
    path = lambda name: os.path.join(outdir, name)
    sw = lambda name: F.get("switch_bench", name)
    tk = lambda name: F.get("tasklet_bench", name)
    ch = lambda name: F.get("channel_bench", name)
    mem = lambda name: F.get("memory_bench", name)
    flat = lambda fig, unit="per_switch": f"{fig.per(unit):.3f}" if fig and fig.ok else "NaN"

    fcontext = sw("BM_BoostJumpFcontext")
    raw = sw("BM_SlpSymmetricSwitch")
    with open(path("switch_vs_slice.dat"), "w", encoding="utf-8") as f:
        f.write("# live_bytes slice_bytes slp_ns fcontext_ns raw_ns target_ns floor_ns\n")
        for size in SLICE_SIZES:
            fig = sw(f"BM_SlpSlicingSwitch/live_bytes:{size}")
            if not (fig and fig.ok):
                continue
            floor = copy_floor(raw, sw(f"BM_SliceCopyFloor/bytes:{size}"))
            f.write(f"{size} {fig.counters.get('slice_bytes', size):.0f} "
                    f"{fig.switch_ns:.3f} {flat(fcontext)} {flat(raw)} "
                    f"{SLICE_TARGETS.get(size, 'NaN')} "
                    f"{f'{floor:.3f}' if floor is not None else 'NaN'}\n")
    with open(path("schedule_vs_slice.dat"), "w", encoding="utf-8") as f:
        f.write("# live_bytes slice_bytes schedule_ns_per_switch (tasklet_bench, 1 stack)\n")
        for size in (0, 64, 256, 1024, 4096):
            fig = tk(f"BM_SlpSchedulePingPong/stacks:1/live_bytes:{size}")
            if fig and fig.ok:
                f.write(f"{size} {fig.counters.get('slice_bytes', size):.0f} "
                        f"{fig.per('per_switch'):.3f}\n")
    with open(path("round_trip.dat"), "w", encoding="utf-8") as f:
        f.write("# mechanism ns_per_round_trip\n")
        for label, fig in (
            ("slp engine", raw), ("slp asm floor", sw("BM_SlpAsmSwapOneSite")),
            ("slp schedule()", tk("BM_SlpSchedulePingPong/stacks:2/live_bytes:0")),
            ("slp slicing 256 B", sw("BM_SlpSlicingSwitch/live_bytes:256")),
            ("slp slicing 4 KiB", sw("BM_SlpSlicingSwitch/live_bytes:4096")),
            ("jump_fcontext", fcontext), ("callcc", sw("BM_BoostCallcc")),
            ("Fiber yield", tk("BM_FiberYield")), ("swapcontext", sw("BM_Swapcontext")),
        ):
            if fig and fig.ok and fig.per("per_switch") is not None:
                f.write(f"\"{label}\" {2 * fig.per('per_switch'):.3f}\n")
    with open(path("channel.dat"), "w", encoding="utf-8") as f:
        f.write("# what ns_per_message kind(0 slp, 1 baseline)\n")
        for label, fig, unit, kind in (
            ("slp pref -1", ch("BM_SlpChannelPingPong/preference:-1"), "per_msg", 0),
            ("slp pref 0", ch("BM_SlpChannelPingPong/preference:0"), "per_msg", 0),
            ("slp pref +1", ch("BM_SlpChannelPingPong/preference:1"), "per_msg", 0),
            ("slp schedule_all", ch("BM_SlpChannelPingPongScheduleAll"), "per_msg", 0),
            ("slp send_sequence", ch("BM_SlpChannelSendSequence/elements:1024"), "per_msg", 0),
            ("Fiber unbuffered", ch("BM_FiberUnbufferedPingPong"), "per_msg", 1),
            ("Fiber buffered(2)", ch("BM_FiberBufferedPingPong"), "per_msg", 1),
            ("Fiber yield (per switch)", ch("BM_FiberYield"), "per_switch", 1),
            ("Fiber unbuffered stream", ch("BM_FiberUnbufferedStream/elements:1024"),
             "per_msg", 1),
        ):
            if fig and fig.ok:
                f.write(f"\"{label}\" {fig.per(unit):.3f} {kind}\n")
    with open(path("memory.dat"), "w", encoding="utf-8") as f:
        f.write("# one block per live size: count slp_bytes boost_fixedsize_bytes "
                "target_bytes (slice + 256)\n")
        for live in MEMORY_SLICES:
            f.write(f"# live {live}\n")
            for count in MEMORY_COUNTS:
                fig = mem(f"BM_SlpParkedTasklets/tasklets:{count}/live_bytes:{live}")
                base = mem(f"BM_BoostFixedsizeParked/coroutines:{count}/live_bytes:{live}")
                if not (fig and fig.ok) and not (base and base.ok):
                    continue
                target = fig.counters.get("slice_bytes", 0) + 256 if fig and fig.ok else "NaN"
                f.write(f"{count} {flat(fig, 'bytes_per_tasklet')} "
                        f"{flat(base, 'bytes_per_tasklet')} {target}\n")
            f.write("\n\n")

    if shutil.which("gnuplot") is None:
        print("report: gnuplot not found (apt-get install gnuplot-nox): no PNG plots; "
              f"the data files are in {outdir}")
        return []
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "plots.gnuplot")
    title = note.replace('"', "'") if note else ""
    result = subprocess.run(
        ["gnuplot", "-e", f"dir='{outdir}'; note=\"{title}\"", script],
        capture_output=True, text=True, check=False)
    if result.returncode != 0:
        print(f"report: gnuplot failed:\n{result.stderr}", file=sys.stderr)
        return []
    pngs = ("switch_vs_slice.png", "round_trip.png", "channel_pingpong.png",
            "memory_per_tasklet.png")
    return [path(p) for p in pngs if os.path.exists(path(p))]


# --- side by side (several builds of one binary) --------------------------------

def compare(specs, filt, time_field):
    """Side by side: LABEL=JSON[,JSON...] per build."""
    builds = []
    for spec in specs:
        label, sep, files = spec.partition("=")
        if not sep or not files:
            sys.exit(f"report: --compare wants LABEL=JSON[,JSON...], got {spec!r}")
        per_run = [load(path, time_field)[1] for path in files.split(",")]
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
            values = [f[name].time_ns for f in per_run if name in f and f[name].ok]
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


def by_family(figs):
    """Benchmark names, grouped: 'BM_A x3, BM_B/arg:1'."""
    families = {}
    for f in figs:
        families.setdefault(f.name.split("/")[0], []).append(f)
    return ", ".join(f"{family} x{len(members)}" if len(members) > 1 else members[0].name
                     for family, members in sorted(families.items()))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("json", nargs="*", help="benchmark JSON files")
    parser.add_argument("--plots", metavar="DIR", help="write data files and PNGs here")
    parser.add_argument("--note", default="", help="a line printed above the table")
    parser.add_argument("--time", choices=("cpu", "real"), default="cpu",
                        help="which time to report (default: cpu; the cross-thread "
                             "benchmarks always use real time)")
    parser.add_argument("--compare", nargs="+", metavar="LABEL=JSON[,JSON...]")
    parser.add_argument("--filter", help="regex on benchmark names (with --compare)")
    args = parser.parse_args()
    time_field = f"{args.time}_time"

    if args.compare:
        compare(args.compare, args.filter, time_field)
        return 0
    if not args.json:
        parser.error("no JSON files")

    workload_jsons = [p for p in args.json if is_workloads(p)]
    bench_jsons = [p for p in args.json if p not in workload_jsons]
    if not bench_jsons:
        return 0 if report_workloads(workload_jsons, args.note) else 1

    per_key = {}
    contexts = {}
    for path in bench_jsons:
        binary, loaded, context = load(path, time_field)
        for name, fig in loaded.items():
            per_key.setdefault((binary, name), []).append(fig)
        contexts.setdefault(binary, []).append(context)
    F = Figures({key: combine(runs) for key, runs in per_key.items()})
    runs = max((len(r) for r in per_key.values()), default=0)
    reps = max((f.repetitions for f in F.all()), default=0)
    context = next(iter(contexts.values()))[0] if contexts else {}
    loads = [c.get("load_avg", [None])[0] for cs in contexts.values() for c in cs
             if c.get("load_avg")]
    facts = [
        f"{'median of ' + str(reps) + ' repetitions' if reps > 1 else 'single repetition'}"
        + (f", median of {runs} runs' medians (cv: largest run's)" if runs > 1 else ""),
        f"{args.time} time",
        f"Boost.Context {context.get('boost_context', '?')}, "
        f"Boost.Fiber {context.get('boost_fiber', '?')}",
        f"load avg {min(loads):.2f}-{max(loads):.2f}" if loads else "",
        f"{context.get('num_cpus', '?')} CPUs",
    ]
    if args.note:
        facts.insert(0, args.note)
    print("; ".join(f for f in facts if f))
    print("per = the unit of the slp and baseline columns: sw = one one-way switch, msg = one "
          "message, life = one tasklet's\nwhole life, tick = one tick(), B = resident bytes per "
          "parked tasklet; ratio = slp / baseline (below 1: slp is\nfaster or smaller); "
          "MISS xN = N times over the target; memory cases are one repetition each")
    rows = switch_rows(F) + tasklet_rows(F) + channel_rows(F) + memory_rows(F)
    print(table(rows))

    missing = [f for f in F.all() if f.state == "missing"]
    if missing:
        print(f"missing baselines, not built ({by_family(missing)}): see the CMake warnings")
    reasons = {}
    for f in F.all():
        if f.state == "not run":
            reasons.setdefault(f.error[len(NOT_RUN_MARK):], []).append(f)
    for reason, figs in sorted(reasons.items()):
        print(f"not run ({by_family(figs)}): {reason}")
    failed = [f for f in F.all() if f.state == "error"]
    for fig in failed:
        print(f"FAILED {fig.binary}:{fig.name}: {fig.error}", file=sys.stderr)

    workloads_ok = report_workloads(workload_jsons, "") if workload_jsons else True

    if args.plots:
        for png in write_plots(F, args.plots, args.note):
            print(f"plot: {png}")
    return 1 if failed or not workloads_ok else 0


if __name__ == "__main__":
    sys.exit(main())
