#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Drives gdb in batch mode against tests/gdb/target.cpp stopped in
slp_gdb_stop_here, with tools/gdb/slp.py loaded, and checks what
`info tasklets` lists and what `tasklet bt ID` shows for each tasklet
(resident, evicted to the heap, runnable, main); then that the program,
continued, ends normally (the walks put back every byte they moved).

Usage: check.py GDB SLP_PY TARGET
"""
import re
import subprocess
import sys


def run_gdb(gdb, script, target, commands):
    args = [gdb, "-batch", "-nx", "-ex", "set pagination off",
            "-ex", "source " + script, "-ex", "break slp_gdb_stop_here",
            "-ex", "run"]
    for c in commands:
        args += ["-ex", c]
    out = subprocess.run(args + [target], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, timeout=300)
    return out.stdout


failures = []


def check(condition, what, text=""):
    if not condition:
        failures.append(what + ("\n" + text if text else ""))


def frames(text):
    """The function of each `#N` line of a backtrace, in order."""
    names = []
    for line in text.splitlines():
        m = re.match(r"#\d+\s+(?:0x[0-9a-f]+ in )?(\S+?)(?: \(|$)", line)
        if m:
            names.append(m.group(1))
    return names


def main():
    gdb, script, target = sys.argv[1:4]
    listing = run_gdb(gdb, script, target, ["info tasklets"])
    rows = {}
    for line in listing.splitlines():
        m = re.match(r"\s*(\d+)\s+(\S+)\s+(\d+)\s+(.+?)\s+(\d+)$", line)
        if m:
            rows[m.group(2)] = (int(m.group(1)), m.group(4), int(m.group(5)))
    check(set(rows) == {"(main)", "deep", "sender", "shallow", "ready"},
          "info tasklets lists main, deep, sender, shallow and ready", listing)
    if failures:
        return report()
    check(rows["(main)"][1] == "running", "main is running", listing)
    check(re.fullmatch(r"blocked receiving on channel \d+", rows["deep"][1])
          is not None and rows["deep"][2] > 0,
          "deep: blocked receiving, saved on the heap", listing)
    check(re.fullmatch(r"blocked sending on channel \d+", rows["sender"][1])
          is not None and rows["sender"][2] > 0,
          "sender: blocked sending, saved on the heap", listing)
    check(rows["shallow"][1].startswith("blocked receiving") and
          rows["shallow"][2] == 0, "shallow: blocked, resident", listing)
    check(rows["ready"][1] == "runnable", "ready is runnable", listing)

    ids = {name: row[0] for name, row in rows.items()}
    commands = []
    for name in ("deep", "sender", "shallow", "(main)"):
        commands += ["echo ==%s==\\n" % name, "tasklet bt %d" % ids[name]]
    commands += ["echo ==end==\\n", "continue"]
    out = run_gdb(gdb, script, target, commands)
    parts = {}
    for name in ("deep", "sender", "shallow", "(main)"):
        start = out.find("==%s==" % name)
        end = out.find("==", start + len(name) + 4)
        parts[name] = out[start:end] if start >= 0 else ""

    deep = frames(parts["deep"])
    check("gdb_probe::wait_in_leaf" in deep, "deep is in wait_in_leaf",
          parts["deep"])
    if "gdb_probe::wait_in_leaf" in deep:
        at = deep.index("gdb_probe::wait_in_leaf")
        check(deep[at + 1:at + 5] == ["gdb_probe::descend"] * 4 and
              deep[at + 5] != "gdb_probe::descend",
              "deep: four descend frames under wait_in_leaf", parts["deep"])
    check(deep[-1:] == ["slp_tasklet_trampoline"],
          "deep ends at the tasklet's first frame", parts["deep"])
    sender = frames(parts["sender"])
    check("gdb_probe::send_from_here" in sender and
          sender[-1:] == ["slp_tasklet_trampoline"],
          "sender is in send_from_here", parts["sender"])
    shallow = frames(parts["shallow"])
    if "gdb_probe::wait_in_leaf" in shallow:
        at = shallow.index("gdb_probe::wait_in_leaf")
        check(shallow[at + 1:at + 4] == ["gdb_probe::descend"] * 2 +
              [shallow[at + 3]] and shallow[at + 3] != "gdb_probe::descend",
              "shallow: two descend frames", parts["shallow"])
    else:
        check(False, "shallow is in wait_in_leaf", parts["shallow"])
    main_frames = frames(parts["(main)"])
    check(main_frames[:2] == ["slp_gdb_stop_here", "main"],
          "main is stopped in slp_gdb_stop_here", parts["(main)"])
    check("exited normally" in out, "the program ends normally afterwards",
          out[-2000:])
    return report()


def report():
    for f in failures:
        print("FAILED: " + f)
    print("gdb extension: %s" % ("ok" if not failures else
                                 "%d failures" % len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
