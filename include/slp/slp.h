/* SPDX-License-Identifier: MIT */
/* slp — the C API: tasklets and channels for C programs and other
 * languages' FFIs, with the meaning of Stackless' C-level API (seed 002).
 *
 * Objects are opaque and reference counted: every function that returns an
 * slp_tasklet* or slp_channel* gives the caller a new reference, released
 * with slp_tasklet_decref() / slp_channel_decref(). While C holds a
 * reference to a tasklet, every function that hands it out again returns
 * the same pointer, so pointers can be compared. Channels carry void*.
 * A tasklet runs a C function `void fn(void* arg)`.
 *
 * Errors: functions returning int give 0 on success and -1 on failure
 * (Stackless' "1 = soft switched" never happens: slp always hard switches);
 * queries give 1 / 0, or -1 on failure. Functions returning a pointer give
 * NULL on failure. slp_last_error() says what went wrong and
 * slp_last_error_kind() which kind of error it was (an SLP_E_* value);
 * both belong to the calling thread and are reset by the next successful
 * call, so read them right after the failing one. No C++ exception ever
 * reaches C code; a C++ exception delivered to a tasklet (raise_exception,
 * send_exception, an uncaught error) surfaces as -1 from the slp call it
 * was blocked in.
 *
 * Killing a tasklet that runs C code: the slp call it is suspended in
 * returns -1 with kind SLP_E_KILLED, and from then on every slp call of
 * that tasklet that could switch fails the same way at once. Its function
 * is expected to clean up and return; the tasklet then ends as killed.
 * docs/C_API.md has the whole contract and the table of seed functions.
 *
 * Example:
 *   static void echo(void* arg) {
 *     slp_channel* ch = arg;
 *     void* v;
 *     while (slp_channel_receive(ch, &v) == 0) printf("got %s\n", (char*)v);
 *   }
 *   ...
 *   slp_channel* ch = slp_channel_new();
 *   slp_tasklet* t = slp_tasklet_new(echo);
 *   slp_tasklet_setup(t, ch);                   // runnable
 *   slp_channel_send(ch, "hello");              // echo prints "got hello"
 *   slp_tasklet_kill(t, 0);                     // its receive returns -1
 *   slp_tasklet_decref(t);
 *   slp_channel_decref(ch);
 */
#ifndef SLP_SLP_H
#define SLP_SLP_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#if defined(__GNUC__) || defined(__clang__)
#define SLP_C_API __attribute__((visibility("default")))
#else
#define SLP_C_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef struct slp_tasklet slp_tasklet;
typedef struct slp_channel slp_channel;

/* slp_function: a tasklet's body. It cannot throw; it ends the tasklet by
 * returning. */
typedef void (*slp_function)(void* arg);

/* ---- errors --------------------------------------------------------- */

/* The kinds of error (slp_last_error_kind), which are also the kinds of
 * exception C code can deliver (slp_tasklet_raise_exception,
 * slp_tasklet_throw, slp_channel_send_exception). */
enum slp_error_kind {
  SLP_OK = 0,               /* the last call succeeded */
  SLP_E_ERROR = 1,          /* misuse (slp::error, Stackless RuntimeError) */
  SLP_E_DEADLOCK = 2,       /* nothing could ever wake the caller */
  SLP_E_CLOSED = 3,         /* would block on a closing channel */
  SLP_E_BLOCK_TRAP = 4,     /* would block while block_trap is set */
  SLP_E_SWITCH_TRAP = 5,    /* would switch while switch_trap > 0 */
  SLP_E_KILLED = 6,         /* the calling tasklet was killed */
  SLP_E_STOP_ITERATION = 7, /* a sender ended the stream */
  SLP_E_USER = 8,           /* raised by C code with its own message */
  SLP_E_NO_MEMORY = 9,      /* out of memory; nothing was changed */
  SLP_E_OTHER = 10          /* any other C++ exception (its what()) */
};

/* SLP_ERROR_VALUE: what the queries whose valid results include -1
 * (slp_channel_get_preference, slp_channel_get_balance) return on
 * failure. */
#define SLP_ERROR_VALUE INT_MIN

/* slp_last_error: the message of the calling thread's last failed slp
 * call ("" after a successful one). Valid until the next slp call of this
 * thread; at most 511 bytes are kept. Never NULL. */
SLP_C_API const char* slp_last_error(void);
/* slp_last_error_kind: the SLP_E_* kind of that failure, SLP_OK if none. */
SLP_C_API int slp_last_error_kind(void);
/* slp_clear_error: forgets the last error. */
SLP_C_API void slp_clear_error(void);

/* ---- reference counts ----------------------------------------------- */

/* slp_tasklet_incref, slp_tasklet_decref, slp_channel_incref,
 * slp_channel_decref: take or drop one reference. The last decref frees
 * the C object; the tasklet or channel itself lives on while the
 * scheduler or C++ code still holds it (a runnable or blocked tasklet,
 * for instance). Dropping the last reference of a paused tasklet that
 * has started kills it (it runs until its function returns). A decref
 * below zero, or any use of a pointer whose count reached zero, fails
 * with -1 instead of touching freed memory (docs/C_API.md, "Limits"). */
SLP_C_API int slp_tasklet_incref(slp_tasklet* t);
SLP_C_API int slp_tasklet_decref(slp_tasklet* t);
SLP_C_API int slp_channel_incref(slp_channel* ch);
SLP_C_API int slp_channel_decref(slp_channel* ch);

/* ---- tasklets ------------------------------------------------------- */

/* slp_tasklet_new: a new tasklet of the calling thread bound to `fn`, not
 * yet alive (PyTasklet_New). NULL if fn is NULL. */
SLP_C_API slp_tasklet* slp_tasklet_new(slp_function fn);
/* slp_tasklet_bind: rebinds a tasklet that is not alive (a dead one, for
 * instance) to `fn`. -1 if fn is NULL, or the tasklet is alive. */
SLP_C_API int slp_tasklet_bind(slp_tasklet* t, slp_function fn);
/* slp_tasklet_setup: binds the argument `arg` and inserts the tasklet into
 * the runnables (PyTasklet_Setup). -1 if it is alive already, or has no C
 * function: a tasklet lets go of its function when it ends (bind it again
 * to reuse it), and one made in C++ has a C++ function. */
SLP_C_API int slp_tasklet_setup(slp_tasklet* t, void* arg);
/* slp_tasklet_run: inserts the tasklet if needed and switches to it now;
 * the caller stays runnable (PyTasklet_Run). -1 if it is blocked or dead. */
SLP_C_API int slp_tasklet_run(slp_tasklet* t);
/* slp_tasklet_run_nice: slp_tasklet_run (PyTasklet_Run_nr); never 1. */
SLP_C_API int slp_tasklet_run_nice(slp_tasklet* t);
/* slp_tasklet_switch: like slp_tasklet_run, but the caller is paused. */
SLP_C_API int slp_tasklet_switch(slp_tasklet* t);
/* slp_tasklet_remove: takes it out of the runnables; it becomes paused
 * (PyTasklet_Remove). -1 if it is blocked or the current tasklet. */
SLP_C_API int slp_tasklet_remove(slp_tasklet* t);
/* slp_tasklet_insert: puts it at the tail of the runnables if it is not
 * there (PyTasklet_Insert). -1 if it is blocked or dead. */
SLP_C_API int slp_tasklet_insert(slp_tasklet* t);
/* slp_tasklet_become, slp_tasklet_capture: deprecated in Stackless 2.5 and
 * not provided: they always fail with -1. */
SLP_C_API int slp_tasklet_become(slp_tasklet* t, void* retval);
SLP_C_API int slp_tasklet_capture(slp_tasklet* t, void* retval);
/* slp_tasklet_raise_exception: delivers an exception of `kind` (an SLP_E_*
 * value other than SLP_OK and SLP_E_NO_MEMORY) with `message` (NULL: the
 * kind's name) where the tasklet is suspended, and switches to it now
 * (PyTasklet_RaiseException). C code there sees its slp call fail with
 * that kind and message. On the current tasklet the call itself fails so.
 * -1 if the tasklet is dead. */
SLP_C_API int slp_tasklet_raise_exception(slp_tasklet* t, int kind,
                                          const char* message);
/* slp_tasklet_throw: the same; with `pending` nonzero the tasklet is only
 * made runnable and the caller continues (PyTasklet_Throw). */
SLP_C_API int slp_tasklet_throw(slp_tasklet* t, int pending, int kind,
                                const char* message);
/* slp_tasklet_kill: delivers tasklet exit (PyTasklet_Kill); a no-op on a
 * tasklet that is not alive. `pending` as in slp_tasklet_throw. */
SLP_C_API int slp_tasklet_kill(slp_tasklet* t, int pending);

/* slp_tasklet_get_atomic, slp_tasklet_set_atomic: an atomic tasklet is
 * never preempted by the watchdog. The setter returns the old value. */
SLP_C_API int slp_tasklet_get_atomic(slp_tasklet* t);
SLP_C_API int slp_tasklet_set_atomic(slp_tasklet* t, int flag);
/* slp_tasklet_get_ignore_nesting, slp_tasklet_set_ignore_nesting: whether
 * it may be preempted while its nesting level is above 0. */
SLP_C_API int slp_tasklet_get_ignore_nesting(slp_tasklet* t);
SLP_C_API int slp_tasklet_set_ignore_nesting(slp_tasklet* t, int flag);
/* slp_tasklet_get_block_trap, slp_tasklet_set_block_trap: while set, a
 * channel operation that would block fails with SLP_E_BLOCK_TRAP. */
SLP_C_API int slp_tasklet_get_block_trap(slp_tasklet* t);
SLP_C_API int slp_tasklet_set_block_trap(slp_tasklet* t, int flag);

/* slp_stack_info: where a tasklet's frames are (slp has no Python frames:
 * this is PyTasklet_GetFrame's counterpart). */
typedef struct slp_stack_info {
  const void* stack_top;     /* one past the top of its execution stack;
                                NULL: not started, dead, or main */
  const void* stack_pointer; /* its saved stack pointer (running: about
                                the caller's) */
  size_t depth;              /* stack_top - stack_pointer: bytes of frames */
  size_t heap_bytes;         /* of those, bytes saved on the heap now */
} slp_stack_info;

/* slp_tasklet_get_stack_info: fills `info` for a tasklet of the calling
 * thread. -1 for another thread's tasklet. */
SLP_C_API int slp_tasklet_get_stack_info(slp_tasklet* t, slp_stack_info* info);
/* slp_tasklet_get_stack_depth: info.depth: the bytes of C stack the
 * tasklet uses (PyTasklet_GetRecursionDepth's counterpart); 0 when not
 * started, dead, or main (whose stack slp does not measure); -1 on
 * failure. */
SLP_C_API long slp_tasklet_get_stack_depth(slp_tasklet* t);
/* slp_tasklet_backtrace: writes the addresses of the calls the tasklet is
 * suspended in, innermost first, at most `max` (for the calling tasklet,
 * from inside slp_tasklet_backtrace), and returns how many: 0 for a
 * tasklet that has not started or has ended; -1 (and the last error) for a
 * tasklet of another thread, a NULL `addresses` with max > 0, or max < 0.
 * It changes nothing (API.md §11). */
SLP_C_API int slp_tasklet_backtrace(slp_tasklet* t, void** addresses, int max);
/* slp_dump_tasklets: writes every live tasklet of the calling thread to
 * `out` (id, name, state, bytes saved on the heap, backtrace with function
 * names); 0, or -1 if `out` is NULL or the write fails. */
SLP_C_API int slp_dump_tasklets(FILE* out);
/* slp_tasklet_get_nesting_level: enclosing slp_run_watchdog calls of that
 * tasklet plus C++ nesting_guard scopes; -1 on failure. */
SLP_C_API int slp_tasklet_get_nesting_level(slp_tasklet* t);

/* The states (1 yes, 0 no, -1 failure). alive: set up or started, and not
 * finished. paused: alive, neither runnable nor blocked. scheduled:
 * runnable or blocked. blocked: waiting on a channel. restorable: not
 * started yet (it has no C state). */
SLP_C_API int slp_tasklet_is_main(slp_tasklet* t);
SLP_C_API int slp_tasklet_is_current(slp_tasklet* t);
SLP_C_API int slp_tasklet_alive(slp_tasklet* t);
SLP_C_API int slp_tasklet_paused(slp_tasklet* t);
SLP_C_API int slp_tasklet_scheduled(slp_tasklet* t);
SLP_C_API int slp_tasklet_blocked(slp_tasklet* t);
SLP_C_API int slp_tasklet_restorable(slp_tasklet* t);

/* slp_tasklet_id: unique in the process, never reused; 0 on failure. */
SLP_C_API uint64_t slp_tasklet_id(slp_tasklet* t);
/* slp_tasklet_get_name: "" unless set; valid until it is renamed or the
 * tasklet freed. NULL on failure. */
SLP_C_API const char* slp_tasklet_get_name(slp_tasklet* t);
/* slp_tasklet_set_name: the name used in diagnostics (stack overflow). */
SLP_C_API int slp_tasklet_set_name(slp_tasklet* t, const char* name);
/* slp_tasklet_next, slp_tasklet_prev: its neighbours in the runnables or
 * in a channel's queue (new references); NULL at the ends of a queue, when
 * not linked, or on failure (then slp_last_error_kind() != SLP_OK). */
SLP_C_API slp_tasklet* slp_tasklet_next(slp_tasklet* t);
SLP_C_API slp_tasklet* slp_tasklet_prev(slp_tasklet* t);

/* ---- channels ------------------------------------------------------- */

/* slp_channel_new: a new open channel of void*, preference -1, schedule_all
 * off (PyChannel_New). */
SLP_C_API slp_channel* slp_channel_new(void);
/* slp_channel_send: hands `value` to a receiver, waiting for one
 * (PyChannel_Send). -1: SLP_E_CLOSED, SLP_E_BLOCK_TRAP, SLP_E_DEADLOCK,
 * ... with nothing changed. */
SLP_C_API int slp_channel_send(slp_channel* ch, void* value);
/* slp_channel_send_nice: slp_channel_send (PyChannel_Send_nr); never 1. */
SLP_C_API int slp_channel_send_nice(slp_channel* ch, void* value);
/* slp_channel_receive: takes a value from a sender, waiting for one, into
 * *value (value may be NULL to drop it) (PyChannel_Receive). If the sender
 * sent an exception, -1 with its kind and message. */
SLP_C_API int slp_channel_receive(slp_channel* ch, void** value);
/* slp_channel_receive_nice: slp_channel_receive (PyChannel_Receive_nr). */
SLP_C_API int slp_channel_receive_nice(slp_channel* ch, void** value);
/* slp_channel_send_exception: the receiver's call fails with `kind` and
 * `message` (as slp_tasklet_raise_exception) (PyChannel_SendException). */
SLP_C_API int slp_channel_send_exception(slp_channel* ch, int kind,
                                         const char* message);
/* slp_channel_queue: the first waiting tasklet (a new reference), the
 * others follow through slp_tasklet_next; NULL if nobody waits, or on
 * failure (PyChannel_GetQueue). */
SLP_C_API slp_tasklet* slp_channel_queue(slp_channel* ch);
/* slp_channel_close: marks it closing; wakes nobody. Only operations that
 * would then block fail (PyChannel_Close). slp_channel_open undoes it. */
SLP_C_API int slp_channel_close(slp_channel* ch);
SLP_C_API int slp_channel_open(slp_channel* ch);
/* slp_channel_get_closing: 1 if closing. slp_channel_get_closed: 1 if
 * closing and nobody waits. */
SLP_C_API int slp_channel_get_closing(slp_channel* ch);
SLP_C_API int slp_channel_get_closed(slp_channel* ch);
/* slp_channel_get_preference, slp_channel_set_preference: -1 the receiver
 * runs first (default), 0 or +1 the sender (the caller) continues; the
 * setter keeps the sign. The getter returns SLP_ERROR_VALUE on failure. */
SLP_C_API int slp_channel_get_preference(slp_channel* ch);
SLP_C_API int slp_channel_set_preference(slp_channel* ch, int preference);
/* slp_channel_get_schedule_all, slp_channel_set_schedule_all: when set,
 * both partners of a hand-off go to the tail and the next runnable runs. */
SLP_C_API int slp_channel_get_schedule_all(slp_channel* ch);
SLP_C_API int slp_channel_set_schedule_all(slp_channel* ch, int flag);
/* slp_channel_get_balance: waiting senders (> 0) or receivers (< 0);
 * SLP_ERROR_VALUE on failure. */
SLP_C_API int slp_channel_get_balance(slp_channel* ch);

/* ---- the scheduler -------------------------------------------------- */

/* slp_schedule: moves the caller to the tail of the runnables and runs the
 * next; with `remove` nonzero the caller is paused instead, until someone
 * inserts or runs it (PyStackless_Schedule). */
SLP_C_API int slp_schedule(int remove);
/* slp_schedule_nice: slp_schedule (PyStackless_Schedule_nr); never 1. */
SLP_C_API int slp_schedule_nice(int remove);
/* slp_get_run_count: runnable tasklets including the current one; -1 on
 * failure (PyStackless_GetRunCount). */
SLP_C_API int slp_get_run_count(void);
/* slp_get_current: the running tasklet, a new reference
 * (PyStackless_GetCurrent). slp_get_main: this thread's main tasklet. */
SLP_C_API slp_tasklet* slp_get_current(void);
SLP_C_API slp_tasklet* slp_get_main(void);

/* The flags of slp_run_watchdog_ex (PY_WATCHDOG_*). */
#define SLP_WATCHDOG_THREADBLOCK 1    /* wait for work from other threads */
#define SLP_WATCHDOG_SOFT 2           /* interrupt without removing anyone */
#define SLP_WATCHDOG_IGNORE_NESTING 4 /* interrupt at any nesting level */
#define SLP_WATCHDOG_TOTALTIMEOUT 8   /* timeout is one budget for the run */

/* slp_run_watchdog: the caller leaves the runnables and runs the others
 * until none is left, an uncaught error arrives (-1 with it), or a tasklet
 * runs `timeout` ticks (slp_tick) without switching (0: no limit)
 * (PyStackless_RunWatchdog). *interrupted receives the interrupted tasklet
 * (a new reference; paused, to be inserted or killed) or NULL; with
 * `interrupted` NULL such a tasklet is inserted again. */
SLP_C_API int slp_run_watchdog(long timeout, slp_tasklet** interrupted);
/* slp_run_watchdog_ex: the same with SLP_WATCHDOG_* `flags`
 * (PyStackless_RunWatchdogEx). -1 for unknown flag bits. */
SLP_C_API int slp_run_watchdog_ex(long timeout, int flags,
                                  slp_tasklet** interrupted);
/* slp_run_watchdog_budget: the same with a wall-clock budget in
 * nanoseconds (0: none), checked at the same points as ticks. */
SLP_C_API int slp_run_watchdog_budget(long timeout, long long budget_ns,
                                      int flags, slp_tasklet** interrupted);
/* slp_tick: a preemption point counting `n` ticks for the watchdog. */
SLP_C_API int slp_tick(unsigned long n);
/* slp_switch_trap: adds `delta` to the thread's switch-trap level and
 * stores the old level in *old_level (may be NULL); while the level is
 * above 0 any real switch fails with SLP_E_SWITCH_TRAP. */
SLP_C_API int slp_switch_trap(int delta, int* old_level);
/* slp_configure: this thread's execution stacks (bytes each, how many);
 * -1 once a tasklet of this thread has started. */
SLP_C_API int slp_configure(size_t stack_size, size_t stack_count);

/* ---- monitoring hooks (process-wide; NULL removes) ------------------ */

/* slp_channel_callback: before every send and receive, with the caller
 * `t`, `sending` 1/0 and the would-block decision (even when the
 * operation then fails). The objects are borrowed for the call (incref to
 * keep them). No switch and no channel operation is allowed inside a
 * hook: such calls fail with -1. */
typedef void (*slp_channel_callback)(void* user, slp_channel* ch,
                                     slp_tasklet* t, int sending,
                                     int will_block);
/* slp_schedule_callback: on every real switch (from, to); (NULL, main)
 * when a thread's main tasklet starts; (dying, NULL) then (NULL, next)
 * when a tasklet ends. Borrowed objects, as above. */
typedef void (*slp_schedule_callback)(void* user, slp_tasklet* from,
                                      slp_tasklet* to);
/* slp_tasklet_view: what the fast hook sees of a tasklet, valid during
 * the call. */
typedef struct slp_tasklet_view {
  uint64_t id; /* slp_tasklet_id() */
  int is_main;
  const char* name;
} slp_tasklet_view;
/* slp_schedule_fasthook: the same points as the schedule callback, with
 * no allocation, locking or reference counting; NULL for "none". */
typedef void (*slp_schedule_fasthook)(void* user, const slp_tasklet_view* from,
                                      const slp_tasklet_view* to);
/* slp_error_handler: called in a dying tasklet with its uncaught error;
 * returning swallows it (without a handler it fails the innermost
 * slp_run_watchdog, or the main tasklet's blocking call). */
typedef void (*slp_error_handler)(void* user, int kind, const char* message);

/* slp_set_channel_callback (PyStackless_SetChannelCallback),
 * slp_set_schedule_callback (PyStackless_SetScheduleCallback),
 * slp_set_schedule_fasthook (PyStackless_SetScheduleFastcallback),
 * slp_set_error_handler: install `fn` with `user`, replacing the previous
 * hook (a C++ one too). */
SLP_C_API int slp_set_channel_callback(slp_channel_callback fn, void* user);
SLP_C_API int slp_set_schedule_callback(slp_schedule_callback fn, void* user);
SLP_C_API int slp_set_schedule_fasthook(slp_schedule_fasthook fn, void* user);
SLP_C_API int slp_set_error_handler(slp_error_handler fn, void* user);

/* ---- time and I/O (API.md §10) ---------------------------------------- */

/* The calling tasklet waits without blocking its thread: the thread's
 * other tasklets run meanwhile. Deadlines use CLOCK_MONOTONIC
 * (std::chrono::steady_clock). */
#define SLP_WAIT_READ 1  /* slp_wait_fd: readable, hung up or in error */
#define SLP_WAIT_WRITE 2 /* slp_wait_fd: writable, hung up or in error */
/* slp_sleep_for: waits at least `ns` nanoseconds, then is runnable at the
 * tail; ns <= 0 is slp_schedule(0). 0, or -1 (SLP_E_BLOCK_TRAP,
 * SLP_E_SWITCH_TRAP, SLP_E_ERROR inside a hook, SLP_E_KILLED). */
SLP_C_API int slp_sleep_for(long long ns);
/* slp_wait_fd: waits until `fd` is ready for `events` (SLP_WAIT_READ or
 * SLP_WAIT_WRITE), at most `timeout_ns` (< 0: no limit). 1 ready, 0 timed
 * out, -1 failure (SLP_E_ERROR naming the descriptor and the errno text
 * for one epoll cannot watch, or a second waiter of this thread in the
 * same direction; the kinds of slp_sleep_for), with nothing changed. */
SLP_C_API int slp_wait_fd(int fd, int events, long long timeout_ns);
/* slp_close_fd: wakes this thread's waiters on `fd` (their slp_wait_fd
 * returns 1), stops watching it and closes it. 0, or -1 (SLP_E_ERROR: not
 * open). */
SLP_C_API int slp_close_fd(int fd);
/* slp_channel_receive_for: slp_channel_receive that gives up after
 * `timeout_ns`: 0 received (into *value if value is not NULL), 1 timed out
 * (the caller has left the channel's queue), -1 failure. */
SLP_C_API int slp_channel_receive_for(slp_channel* ch, void** value,
                                      long long timeout_ns);

/* ---- calling from "outside" ----------------------------------------- */

/* slp_has_main: 1 if the calling thread already has its scheduler and main
 * tasklet, 0 if not ("outside"). It never creates them. */
SLP_C_API int slp_has_main(void);
/* slp_call_main: runs fn(arg) as the thread's main function
 * (PyStackless_Call_Main). From outside it first makes the calling flow
 * the thread's main tasklet; from inside (any tasklet) it simply calls fn.
 * Every other slp_* function wraps itself the same way, so any of them
 * may be called from any thread at any time. -1 if fn is NULL. */
SLP_C_API int slp_call_main(slp_function fn, void* arg);

/* ---- threads ------------------------------------------------------- */

typedef struct slp_thread slp_thread;

/* slp_thread_start: starts a thread that runs fn(arg) and returns it, or
 * NULL (fn NULL, or the thread or its scheduler could not be created).
 * The new thread's scheduler exists when this returns, so from then on it
 * counts as a thread that could wake others: the caller may block on a
 * channel the new thread will send on without getting a deadlock error
 * (a thread started otherwise counts only from its first slp call). Every
 * thread started must be joined with slp_thread_join. */
SLP_C_API slp_thread* slp_thread_start(slp_function fn, void* arg);
/* slp_thread_join: waits until the thread's function has returned and
 * its tasklets are gone, then frees it. -1 if t is NULL or is the calling
 * thread (nothing changes then). */
SLP_C_API int slp_thread_join(slp_thread* t);

#ifdef __cplusplus
}
#endif

#endif /* SLP_SLP_H */
