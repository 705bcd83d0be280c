# SPDX-License-Identifier: MIT
# slp — gdb commands for the tasklets of a stopped live process (API.md §11).
#
#   info tasklets     every tasklet of every thread: id, name, thread,
#                     state, bytes saved on the heap
#   tasklet bt ID     the backtrace of tasklet ID, also when it is
#                     suspended and its frames are in a heap slice
#
# Load it with `source /usr/share/slp/gdb/slp.py` (the installed path
# under the install prefix), or add that line to ~/.gdbinit. The program
# needs slp's debug information (a build with -g).
#
# How `tasklet bt` sees a suspended tasklet: its registers are in the frame
# its switch pushed at its saved sp (arch/README.md). The command installs
# them in the tasklet's thread for the time of one `backtrace`, and, when
# the tasklet is evicted, also copies its slice to its home addresses
# (after saving what is there); then it puts back every register and byte
# exactly. The process is stopped throughout, so it never sees the swap;
# gdb's own unwinder, with the program's debug information, does the rest.

import gdb

_X86_64_FRAME = 64
_ARM64_FRAME = 176


def _arch():
    name = gdb.selected_inferior().architecture().name()
    if "x86-64" in name:
        return "x86-64"
    if "aarch64" in name:
        return "aarch64"
    raise gdb.GdbError("slp: no tasklet layout for architecture " + name)


def _atomic(value):
    """The value inside a std::atomic (libstdc++)."""
    for field in ("_M_i", "_M_p"):
        try:
            return value[field]
        except gdb.error:
            pass
    for inner in ("_M_b", "_M_base"):  # atomic<T*> holds an __atomic_base
        try:
            return _atomic(value[inner])
        except gdb.error:
            pass
    return value


def _pointer_field(value, field):
    """A std::unique_ptr member read as its one pointer."""
    address = int(value[field].address)
    void_pp = gdb.lookup_type("void").pointer().pointer()
    return int(gdb.Value(address).cast(void_pp).dereference())


def _name(t):
    p = _pointer_field(t, "name")
    if p == 0:
        return ""
    s = gdb.Value(p).cast(gdb.lookup_type("std::string").pointer()).dereference()
    try:
        data = s["_M_dataplus"]["_M_p"]
        return data.string(length=int(s["_M_string_length"]))
    except gdb.error:
        return str(s)


def _threads_schedulers():
    """(thread, scheduler value) for every thread that has a scheduler."""
    result = []
    selected = gdb.selected_thread()
    for thread in sorted(gdb.selected_inferior().threads(), key=lambda t: t.num):
        thread.switch()
        try:
            s = gdb.parse_and_eval("slp::core::this_thread_scheduler")
        except gdb.error as e:
            if selected is not None:
                selected.switch()
            raise gdb.GdbError(
                "slp: cannot read slp::core::this_thread_scheduler (%s); "
                "slp's debug information is needed: build it with -g "
                "(the Debug or RelWithDebInfo build types)" % e)
        if int(s) != 0:
            result.append((thread, s.dereference()))
    if selected is not None:
        selected.switch()
    return result


def _tasklets():
    """(thread, scheduler, tasklet_impl value) for every tasklet."""
    result = []
    for thread, s in _threads_schedulers():
        t = s["tasklets_"]["head_"]
        while int(t) != 0:
            result.append((thread, s, t.dereference()))
            t = t["next_of_thread"]
    return result


def _state(t, s):
    state = str(t["state"]).split("::")[-1]
    if int(t.address) == int(s["running_"]):
        return "running"
    if not bool(t["set_up"]):
        return "dead" if state == "finished" else "unbound"
    code = int(_atomic(t["blocked"]))
    if code != 0:
        site = _atomic(t["waiting_on"])
        what = "sending" if code > 0 else "receiving"
        if int(site) != 0 and int(site["ops"]["kind"]) == 0:
            channel = site.cast(
                gdb.lookup_type("slp::core::channel_state").pointer())
            return "blocked %s on channel %d" % (what, int(channel["id"]))
        return "blocked " + what
    if bool(t["in_ring"]):
        return "runnable"
    if state == "fresh":
        return "paused (not started)"
    return "paused"


class InfoTasklets(gdb.Command):
    """List every slp tasklet: id, name, thread, state, heap bytes."""

    def __init__(self):
        super().__init__("info tasklets", gdb.COMMAND_STACK)

    def invoke(self, arg, from_tty):
        rows = _tasklets()
        if not rows:
            print("No slp tasklets.")
            return
        print("%6s  %-16s %-7s %-40s %s" % ("Id", "Name", "Thread", "State",
                                            "Heap bytes"))
        for thread, s, t in rows:
            name = _name(t)
            if bool(t["is_main"]):
                name = name or "(main)"
            print("%6d  %-16s %-7d %-40s %d" % (
                int(t["id"]), name, thread.num, _state(t, s),
                int(t["slice"]["size_"])))


def _read_word(address):
    memory = gdb.selected_inferior().read_memory(address, 8)
    return int.from_bytes(bytes(memory), "little")


class TaskletBacktrace(gdb.Command):
    """tasklet bt ID: the backtrace of slp tasklet ID."""

    def __init__(self):
        super().__init__("tasklet", gdb.COMMAND_STACK, prefix=True)


class TaskletBt(gdb.Command):
    """tasklet bt ID: the backtrace of slp tasklet ID (heap slices included)."""

    def __init__(self):
        super().__init__("tasklet bt", gdb.COMMAND_STACK)

    def invoke(self, arg, from_tty):
        try:
            wanted = int(arg.split()[0])
        except (IndexError, ValueError):
            raise gdb.GdbError("usage: tasklet bt ID")
        for thread, s, t in _tasklets():
            if int(t["id"]) == wanted:
                self._backtrace(thread, s, t)
                return
        raise gdb.GdbError("slp: no tasklet %d" % wanted)

    def _backtrace(self, thread, s, t):
        selected = gdb.selected_thread()
        thread.switch()
        try:
            state = str(t["state"]).split("::")[-1]
            if int(t.address) == int(s["running_"]) and state == "running":
                gdb.execute("backtrace")
                return
            if state != "suspended":
                print("Tasklet %d has no frames (%s)." % (int(t["id"]), state))
                return
            self._suspended(t)
        finally:
            if selected is not None:
                selected.switch()

    def _suspended(self, t):
        inferior = gdb.selected_inferior()
        sp = int(t["sp"])
        home = t["home"]
        saved_bytes = None
        if int(home) != 0 and int(home["resident"]) != int(t.address):
            size = int(t["slice"]["size_"])
            data = int(t["slice"]["data_"])
            saved_bytes = bytes(inferior.read_memory(sp, size))
            inferior.write_memory(sp, inferior.read_memory(data, size))
        arch = _arch()
        if arch == "x86-64":
            regs = {"rsp": sp + _X86_64_FRAME, "rip": _read_word(sp + 56),
                    "rbp": _read_word(sp + 48), "rbx": _read_word(sp + 40),
                    "r12": _read_word(sp + 32), "r13": _read_word(sp + 24),
                    "r14": _read_word(sp + 16), "r15": _read_word(sp + 8)}
        else:
            regs = {"sp": sp + _ARM64_FRAME, "x29": _read_word(sp + 80),
                    "x30": _read_word(sp + 88)}
            for i in range(10):
                regs["x%d" % (19 + i)] = _read_word(sp + 8 * i)
            regs["pc"] = regs["x30"]
        gdb.execute("select-frame 0")
        frame = gdb.selected_frame()
        old = {r: int(frame.read_register(r)) for r in regs}
        try:
            for r, v in regs.items():
                gdb.execute("set $%s = %d" % (r, v), to_string=True)
            gdb.invalidate_cached_frames()
            gdb.execute("backtrace")
        finally:
            for r, v in old.items():
                gdb.execute("set $%s = %d" % (r, v), to_string=True)
            if saved_bytes is not None:
                inferior.write_memory(sp, saved_bytes)
            gdb.invalidate_cached_frames()


InfoTasklets()
TaskletBacktrace()
TaskletBt()
