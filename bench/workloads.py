#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Runs the workloads (thread-ring, prime sieve, fan-out/fan-in tree, worker
pool), each written with slp, Boost.Fiber and Go, every run a whole process:
the wall and CPU time to the answer as the program measures them (steady
clock and the process's CPU clock, printed), the wall and CPU time to
process exit and the peak resident set as its parent sees them
(workload_launch: wait4). Checks every answer, writes the runs as JSON for bench/report.py.
Standard library only.

Usage:
  bench/workloads.py --launch BIN --slp BIN [--fiber BIN] [--go BIN] [--size full|quick|smoke]
                     [--runs N] [--pin CMD] [--emulator CMD] [--only PROGRAM]... --out JSON

--emulator runs a cross build's binaries (the launcher and slp's and
Boost.Fiber's workloads, not Go's) through that command, e.g. 'qemu-riscv64
-L /usr/riscv64-linux-gnu'; times and RSS are then the emulator's and mean
nothing, the answers are still checked.

A runtime whose binary is not given or not there is a missing baseline
(its reason goes into the JSON), not a failure. Exit status: 1 when a run
failed (non-zero exit, a wrong or missing answer, a timeout), 2 on bad usage.
"""

import argparse
import json
import os
import shlex
import signal
import subprocess
import sys
import time

RUNTIMES = ("slp", "fiber", "go")
# Each program at each size: the argument it takes (passes, primes, leaves,
# jobs). full is the figure; quick and smoke keep the shape.
SIZES = {
    "thread-ring": {"full": 10_000_000, "quick": 1_000_000, "smoke": 10_000},
    "prime-sieve": {"full": 5_000, "quick": 2_000, "smoke": 200},
    "tree": {"full": 1_000_000, "quick": 100_000, "smoke": 1_000},
    "worker-pool": {"full": 1_000_000, "quick": 100_000, "smoke": 1_000},
}
# Resident bytes per tree task (tasklet, fiber, goroutine), what was
# measured here (~780, ~9200, ~200) rounded up: a run that would not fit in
# MemAvailable with 1 GiB to spare is not started.
TREE_BYTES_PER_TASK = {"slp": 2048, "fiber": 12288, "go": 1024}
TIMEOUT_S = {"full": 600, "quick": 120, "smoke": 30}
RING_SIZE = 503


def nth_prime(n):
    """The nth prime, by a sieve of Eratosthenes (the 5,000th is 48611)."""
    bound = 64
    while True:
        composite = bytearray(bound)
        found = 0
        for i in range(2, bound):
            if composite[i]:
                continue
            found += 1
            if found == n:
                return i
            composite[i * i::i] = b"\1" * len(range(i * i, bound, i))
        bound *= 2


def expected(program, size):
    """The right answer, or None where only agreement is checked (the pool's
    sum is checked by each program itself and across the three)."""
    if program == "thread-ring":
        return size % RING_SIZE + 1
    if program == "prime-sieve":
        return nth_prime(size)
    if program == "tree":
        return size * (size - 1) // 2
    return None


def mem_available():
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def too_big(runtime, program, size):
    """Why a run cannot be had here, or None."""
    if program != "tree":
        return None
    tasks = size * 10 // 9 + 1
    need = tasks * TREE_BYTES_PER_TASK[runtime]
    have = mem_available()
    if have is not None and need + 2**30 > have:
        return (f"needs ~{need / 2**30:.1f} GiB, "
                f"{have / 2**30:.1f} GiB available here")
    return None


def run_once(argv, timeout):
    """One whole process, through workload_launch: (status, stdout, stderr,
    the launch: line's fields as ints); status is None when it was killed
    after `timeout` seconds."""
    env = dict(os.environ, GOMAXPROCS="1")
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the launcher and the workload
        out, err = proc.communicate()
        return None, "", err.decode(errors="replace"), None
    out, err = out.decode(errors="replace"), err.decode(errors="replace")
    launch = {}
    for line in out.splitlines():
        if line.startswith("launch: "):
            launch = dict(f.split("=", 1) for f in line.split()[1:] if "=" in f)
    try:
        fields = {k: int(launch[k]) for k in ("exit_ns", "exit_cpu_ns", "peak_rss_kib")}
    except (KeyError, ValueError):
        return proc.returncode, out, err + " (no launch: line)", None
    return proc.returncode, out, err, fields


def parse_line(stdout):
    """answer, result_ns and result_cpu_ns from the program's line, or None."""
    for line in stdout.splitlines():
        fields = dict(f.split("=", 1) for f in line.split() if "=" in f)
        if "answer" in fields:
            try:
                return tuple(int(fields[k]) for k in ("answer", "result_ns", "result_cpu_ns"))
            except (KeyError, ValueError):
                return None
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for runtime in RUNTIMES:
        parser.add_argument(f"--{runtime}", metavar="BIN", default="")
        parser.add_argument(f"--{runtime}-missing", metavar="WHY", default="",
                            help=f"why there is no {runtime} binary")
    parser.add_argument("--launch", metavar="BIN", required=True,
                        help="workload_launch, which times the process and reads its RSS")
    parser.add_argument("--size", choices=("full", "quick", "smoke"), default="full")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pin", default="", help="command prefix, e.g. 'taskset -c 1'")
    parser.add_argument("--emulator", default="",
                        help="runs the cross-built binaries, e.g. 'qemu-riscv64 -L /usr/riscv64-linux-gnu'")
    parser.add_argument("--only", action="append", choices=sorted(SIZES))
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs wants a positive number")

    pin = shlex.split(args.pin)
    emulator = shlex.split(args.emulator)
    programs = [p for p in SIZES if not args.only or p in args.only]
    timeout = TIMEOUT_S[args.size]
    binaries, missing = {}, {}
    for runtime in RUNTIMES:
        path = getattr(args, runtime)
        why = getattr(args, f"{runtime}_missing")
        if path and os.access(path, os.X_OK):
            binaries[runtime] = path
        else:
            missing[runtime] = why or (f"{path} not found" if path else "no binary given")
    if "slp" not in binaries:
        sys.exit(f"workloads: the slp binary is missing ({missing['slp']})")

    cases = {}
    for program in programs:
        size = SIZES[program][args.size]
        for runtime in RUNTIMES:
            case = {"program": program, "runtime": runtime, "size": size,
                    "state": "ok", "reason": "", "runs": []}
            if runtime in missing:
                case["state"], case["reason"] = "missing", missing[runtime]
            else:
                reason = too_big(runtime, program, size)
                if reason:
                    case["state"], case["reason"] = "not run", reason
            cases[(program, runtime)] = case

    answers = {}
    failed = False
    for rep in range(args.runs):
        for program in programs:
            # A different runtime first in each repetition: load that comes
            # and goes on the machine spreads over all three.
            order = RUNTIMES[rep % 3:] + RUNTIMES[:rep % 3]
            for runtime in order:
                case = cases[(program, runtime)]
                if case["state"] != "ok":
                    continue
                runner = emulator if runtime != "go" else []
                argv = pin + emulator + [args.launch] + runner + [binaries[runtime], program,
                                                                 str(case["size"])]
                status, out, err, launch = run_once(argv, timeout)
                parsed = parse_line(out)
                problem = ""
                if status is None:
                    problem = f"killed after {timeout} s"
                elif status != 0 or launch is None:
                    problem = f"exit status {status}: {err.strip()[:300]}"
                elif parsed is None:
                    problem = f"no answer line in {out.strip()[:200]!r}"
                else:
                    answer, result_ns, result_cpu_ns = parsed
                    want = expected(program, case["size"])
                    answers.setdefault(program, {})[runtime] = answer
                    if want is not None and answer != want:
                        problem = f"wrong answer {answer}, expected {want}"
                    elif len(set(answers[program].values())) > 1:
                        problem = f"the runtimes disagree: {answers[program]}"
                if problem:
                    case["state"], case["reason"] = "error", problem
                    print(f"workloads: FAILED {runtime} {program} {case['size']}: {problem}",
                          file=sys.stderr)
                    failed = True
                    continue
                case["runs"].append(dict(launch, result_ns=result_ns,
                                         result_cpu_ns=result_cpu_ns))

    context = {"size": args.size, "runs": args.runs, "pin": args.pin or "not pinned",
               "emulator": args.emulator or "none",
               "date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())}
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump({"context": context, "workloads": list(cases.values())}, f, indent=1)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
