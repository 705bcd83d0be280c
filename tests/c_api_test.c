/* SPDX-License-Identifier: MIT */
// The C API of <slp/slp.h>, from C99: every function, its error returns,
// the exact order of events (traces), the hooks, the kill of a tasklet
// that runs C code, and calls from "outside" (threads with no scheduler).
//
// Each test is a function; the program prints "N passed, M failed" and
// exits non-zero when a test failed.
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <slp/slp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

// --- the harness ---

static int failures_in_test;
static int checks_run;

static void check(int ok, const char* text, const char* file, int line) {
  ++checks_run;
  if (ok) return;
  ++failures_in_test;
  fprintf(stderr, "%s:%d: CHECK(%s) failed; last error: [%d] %s\n", file, line,
          text, slp_last_error_kind(), slp_last_error());
}
#define CHECK(cond) check((cond) != 0, #cond, __FILE__, __LINE__)

static char trace_text[8192];

static void trace(const char* event) {
  size_t used = strlen(trace_text);
  size_t n = strlen(event);
  if (used + n + 2 >= sizeof trace_text) return;
  memcpy(trace_text + used, event, n);
  trace_text[used + n] = ',';
  trace_text[used + n + 1] = '\0';
}

static void tracef(const char* format, const char* a, int b) {
  char event[256];
  snprintf(event, sizeof event, format, a, b);
  trace(event);
}

static void check_trace(const char* expected, const char* file, int line) {
  ++checks_run;
  if (strcmp(trace_text, expected) == 0) return;
  ++failures_in_test;
  fprintf(stderr, "%s:%d: trace\n  expected %s\n  actual   %s\n", file, line,
          expected, trace_text);
}
#define CHECK_TRACE(expected) check_trace(expected, __FILE__, __LINE__)

// CHECK_FAILS: `call` returns `bad`, with `kind` and a message containing
// `text`.
#define CHECK_FAILS(call, bad, kind, text)           \
  do {                                               \
    slp_clear_error();                               \
    CHECK((call) == (bad));                          \
    CHECK(slp_last_error_kind() == (kind));          \
    CHECK(strstr(slp_last_error(), (text)) != NULL); \
  } while (0)

// CHECK_OK: `call` returns 0 and leaves no error.
#define CHECK_OK(call)                      \
  do {                                      \
    CHECK((call) == 0);                     \
    CHECK(slp_last_error_kind() == SLP_OK); \
  } while (0)

static void drop(slp_tasklet* t) { CHECK(slp_tasklet_decref(t) == 0); }
static void drop_channel(slp_channel* c) { CHECK(slp_channel_decref(c) == 0); }

// run_all: runs every other runnable tasklet to its end or block.
static void run_all(void) {
  static char sentinel;
  slp_tasklet* interrupted = (slp_tasklet*)(void*)&sentinel;  // overwritten
  CHECK(slp_run_watchdog(0, &interrupted) == 0);
  CHECK(interrupted == NULL);
}

// A tasklet function that logs its argument (a string).
static void log_arg(void* arg) { trace((const char*)arg); }

// rearm: a tasklet lets go of its function when it ends; bind it again and
// set it up.
static void rearm(slp_tasklet* t, slp_function fn, void* arg) {
  CHECK_OK(slp_tasklet_bind(t, fn));
  CHECK_OK(slp_tasklet_setup(t, arg));
}

// --- errors and bad input ---

static void test_errors_start_clear_and_reset(void) {
  slp_clear_error();
  CHECK(strcmp(slp_last_error(), "") == 0);
  CHECK(slp_last_error_kind() == SLP_OK);
  CHECK(slp_tasklet_alive(NULL) == -1);
  CHECK(slp_last_error_kind() == SLP_E_ERROR);
  CHECK(strcmp(slp_last_error(), "slp_tasklet_alive: the tasklet is NULL") ==
        0);
  CHECK(slp_get_run_count() == 1);  // a success clears it
  CHECK(slp_last_error_kind() == SLP_OK);
  CHECK(strcmp(slp_last_error(), "") == 0);
}

static void test_null_tasklet_everywhere(void) {
  slp_stack_info info;
  const char* null = "the tasklet is NULL";
  CHECK_FAILS(slp_tasklet_incref(NULL), -1, SLP_E_ERROR, null);
  CHECK_FAILS(slp_tasklet_decref(NULL), -1, SLP_E_ERROR, null);
  CHECK_FAILS(slp_tasklet_bind(NULL, log_arg), -1, SLP_E_ERROR, null);
  CHECK_FAILS(slp_tasklet_setup(NULL, NULL), -1, SLP_E_ERROR, null);
  CHECK_FAILS(slp_tasklet_run(NULL), -1, SLP_E_ERROR, null);
  CHECK_FAILS(slp_tasklet_run_nice(NULL), -1, SLP_E_ERROR, null);
  CHECK_FAILS(slp_tasklet_switch(NULL), -1, SLP_E_ERROR, null);
  CHECK_FAILS(slp_tasklet_remove(NULL), -1, SLP_E_ERROR, null);
  CHECK_FAILS(slp_tasklet_insert(NULL), -1, SLP_E_ERROR, null);
  CHECK_FAILS(slp_tasklet_become(NULL, NULL), -1, SLP_E_ERROR, null);
  CHECK_FAILS(slp_tasklet_capture(NULL, NULL), -1, SLP_E_ERROR, null);
  CHECK_FAILS(slp_tasklet_raise_exception(NULL, SLP_E_USER, "x"), -1,
              SLP_E_ERROR, null);
  CHECK_FAILS(slp_tasklet_throw(NULL, 1, SLP_E_USER, "x"), -1, SLP_E_ERROR,
              null);
  CHECK_FAILS(slp_tasklet_kill(NULL, 0), -1, SLP_E_ERROR, null);
  CHECK_FAILS(slp_tasklet_get_atomic(NULL), -1, SLP_E_ERROR, null);
  CHECK_FAILS(slp_tasklet_set_atomic(NULL, 1), -1, SLP_E_ERROR, null);
  CHECK_FAILS(slp_tasklet_get_ignore_nesting(NULL), -1, SLP_E_ERROR, null);
  CHECK_FAILS(slp_tasklet_set_ignore_nesting(NULL, 1), -1, SLP_E_ERROR, null);
  CHECK_FAILS(slp_tasklet_get_block_trap(NULL), -1, SLP_E_ERROR, null);
  CHECK_FAILS(slp_tasklet_set_block_trap(NULL, 1), -1, SLP_E_ERROR, null);
  CHECK_FAILS(slp_tasklet_get_stack_info(NULL, &info), -1, SLP_E_ERROR, null);
  CHECK_FAILS(slp_tasklet_get_stack_depth(NULL), -1, SLP_E_ERROR, null);
  CHECK_FAILS(slp_tasklet_get_nesting_level(NULL), -1, SLP_E_ERROR, null);
  CHECK_FAILS(slp_tasklet_is_main(NULL), -1, SLP_E_ERROR, null);
  CHECK_FAILS(slp_tasklet_is_current(NULL), -1, SLP_E_ERROR, null);
  CHECK_FAILS(slp_tasklet_alive(NULL), -1, SLP_E_ERROR, null);
  CHECK_FAILS(slp_tasklet_paused(NULL), -1, SLP_E_ERROR, null);
  CHECK_FAILS(slp_tasklet_scheduled(NULL), -1, SLP_E_ERROR, null);
  CHECK_FAILS(slp_tasklet_blocked(NULL), -1, SLP_E_ERROR, null);
  CHECK_FAILS(slp_tasklet_restorable(NULL), -1, SLP_E_ERROR, null);
  CHECK_FAILS(slp_tasklet_id(NULL), 0, SLP_E_ERROR, null);
  CHECK_FAILS(slp_tasklet_get_name(NULL), NULL, SLP_E_ERROR, null);
  CHECK_FAILS(slp_tasklet_set_name(NULL, "x"), -1, SLP_E_ERROR, null);
  CHECK_FAILS(slp_tasklet_next(NULL), NULL, SLP_E_ERROR, null);
  CHECK_FAILS(slp_tasklet_prev(NULL), NULL, SLP_E_ERROR, null);
  // The name of the failing function comes first.
  CHECK_FAILS(slp_tasklet_run(NULL), -1, SLP_E_ERROR, "slp_tasklet_run: ");
}

static void test_null_channel_everywhere(void) {
  void* v = NULL;
  const char* null = "the channel is NULL";
  CHECK_FAILS(slp_channel_incref(NULL), -1, SLP_E_ERROR, null);
  CHECK_FAILS(slp_channel_decref(NULL), -1, SLP_E_ERROR, null);
  CHECK_FAILS(slp_channel_send(NULL, v), -1, SLP_E_ERROR, null);
  CHECK_FAILS(slp_channel_send_nice(NULL, v), -1, SLP_E_ERROR, null);
  CHECK_FAILS(slp_channel_receive(NULL, &v), -1, SLP_E_ERROR, null);
  CHECK_FAILS(slp_channel_receive_nice(NULL, &v), -1, SLP_E_ERROR, null);
  CHECK_FAILS(slp_channel_send_exception(NULL, SLP_E_USER, "x"), -1,
              SLP_E_ERROR, null);
  CHECK_FAILS(slp_channel_queue(NULL), NULL, SLP_E_ERROR, null);
  CHECK_FAILS(slp_channel_close(NULL), -1, SLP_E_ERROR, null);
  CHECK_FAILS(slp_channel_open(NULL), -1, SLP_E_ERROR, null);
  CHECK_FAILS(slp_channel_get_closing(NULL), -1, SLP_E_ERROR, null);
  CHECK_FAILS(slp_channel_get_closed(NULL), -1, SLP_E_ERROR, null);
  CHECK_FAILS(slp_channel_get_preference(NULL), SLP_ERROR_VALUE, SLP_E_ERROR,
              null);
  CHECK_FAILS(slp_channel_set_preference(NULL, 1), -1, SLP_E_ERROR, null);
  CHECK_FAILS(slp_channel_get_schedule_all(NULL), -1, SLP_E_ERROR, null);
  CHECK_FAILS(slp_channel_set_schedule_all(NULL, 1), -1, SLP_E_ERROR, null);
  CHECK_FAILS(slp_channel_get_balance(NULL), SLP_ERROR_VALUE, SLP_E_ERROR,
              null);
}

static void test_null_function_and_other_null_arguments(void) {
  slp_tasklet* t;
  slp_tasklet* main_tasklet = slp_get_main();
  CHECK_FAILS(slp_tasklet_new(NULL), NULL, SLP_E_ERROR,
              "slp_tasklet_new: the tasklet function is NULL");
  CHECK_FAILS(slp_call_main(NULL, NULL), -1, SLP_E_ERROR,
              "the function is NULL");

  t = slp_tasklet_new(log_arg);
  CHECK(t != NULL);
  // Rebinding to NULL fails and leaves it bound to log_arg.
  CHECK_FAILS(slp_tasklet_bind(t, NULL), -1, SLP_E_ERROR,
              "the tasklet function is NULL");
  CHECK_FAILS(slp_tasklet_get_stack_info(t, NULL), -1, SLP_E_ERROR,
              "info is NULL");
  CHECK_FAILS(slp_tasklet_set_name(t, NULL), -1, SLP_E_ERROR,
              "the name is NULL");
  trace_text[0] = '\0';
  CHECK_OK(slp_tasklet_setup(t, "still log_arg"));
  run_all();
  CHECK_TRACE("still log_arg,");
  drop(t);
  drop(main_tasklet);
}

static void test_decref_below_zero_and_stale_pointers(void) {
  slp_tasklet* t = slp_tasklet_new(log_arg);
  slp_channel* c = slp_channel_new();
  slp_channel* other = slp_channel_new();
  CHECK(t != NULL && c != NULL && other != NULL);
  CHECK_OK(slp_tasklet_incref(t));
  CHECK_OK(slp_tasklet_decref(t));
  CHECK_OK(slp_tasklet_decref(t));  // the last reference
  CHECK_FAILS(slp_tasklet_decref(t), -1, SLP_E_ERROR,
              "reference count would go below zero");
  CHECK_FAILS(slp_tasklet_incref(t), -1, SLP_E_ERROR, "not a live slp_tasklet");
  CHECK_FAILS(slp_tasklet_alive(t), -1, SLP_E_ERROR, "not a live slp_tasklet");
  CHECK_FAILS(slp_tasklet_setup(t, NULL), -1, SLP_E_ERROR,
              "not a live slp_tasklet");

  CHECK_OK(slp_channel_incref(c));
  CHECK_OK(slp_channel_decref(c));
  CHECK_OK(slp_channel_decref(c));
  CHECK_FAILS(slp_channel_decref(c), -1, SLP_E_ERROR,
              "reference count would go below zero");
  CHECK_FAILS(slp_channel_send(c, NULL), -1, SLP_E_ERROR,
              "not a live slp_channel");
  CHECK_FAILS(slp_channel_get_balance(c), SLP_ERROR_VALUE, SLP_E_ERROR,
              "not a live slp_channel");
  // A pointer of the wrong kind is not live either.
  CHECK_FAILS(slp_tasklet_alive((slp_tasklet*)(void*)other), -1, SLP_E_ERROR,
              "not a live slp_tasklet");
  // Nothing else changed.
  CHECK(slp_channel_get_balance(other) == 0);
  CHECK(slp_get_run_count() == 1);
  drop_channel(other);
}

static void test_become_and_capture_are_not_provided(void) {
  slp_tasklet* self = slp_get_current();
  CHECK_FAILS(slp_tasklet_become(self, NULL), -1, SLP_E_ERROR,
              "deprecated since Stackless 2.5");
  CHECK_FAILS(slp_tasklet_capture(self, NULL), -1, SLP_E_ERROR,
              "deprecated since Stackless 2.5");
  CHECK(slp_get_run_count() == 1);
  drop(self);
}

// --- references and identity ---

static slp_tasklet* expected_self;
static int identity_ok;

static void check_identity(void* arg) {
  slp_tasklet* self = slp_get_current();
  (void)arg;
  identity_ok = self == expected_self && slp_tasklet_is_current(self) == 1;
  slp_tasklet_decref(self);
}

static void test_the_same_tasklet_is_the_same_pointer(void) {
  slp_tasklet* m1 = slp_get_main();
  slp_tasklet* m2 = slp_get_main();
  slp_tasklet* cur = slp_get_current();
  CHECK(m1 != NULL && m1 == m2 && m1 == cur);
  CHECK(slp_tasklet_id(m1) == slp_tasklet_id(cur));
  expected_self = slp_tasklet_new(check_identity);
  identity_ok = 0;
  CHECK_OK(slp_tasklet_setup(expected_self, NULL));
  run_all();
  CHECK(identity_ok);
  drop(expected_self);
  drop(m1);
  drop(m2);
  drop(cur);
}

static void test_dropped_runnable_tasklet_still_runs(void) {
  slp_tasklet* t = slp_tasklet_new(log_arg);
  trace_text[0] = '\0';
  CHECK_OK(slp_tasklet_setup(t, "ran without a C reference"));
  drop(t);  // the scheduler still holds it
  CHECK(slp_get_run_count() == 2);
  run_all();
  CHECK_TRACE("ran without a C reference,");
}

static void park_until_killed(void* arg) {
  (void)arg;
  trace("parked");
  while (slp_schedule(1) == 0) trace("woken");
  tracef("%s %d", "schedule failed", slp_last_error_kind());
}

static void test_last_reference_of_a_paused_tasklet_kills_it(void) {
  slp_tasklet* t = slp_tasklet_new(park_until_killed);
  trace_text[0] = '\0';
  CHECK_OK(slp_tasklet_setup(t, NULL));
  run_all();  // it parks itself: paused, held by C only
  CHECK(slp_tasklet_paused(t) == 1);
  CHECK_OK(slp_tasklet_decref(t));
  CHECK_TRACE("parked,schedule failed 6,");
  CHECK(slp_get_run_count() == 1);
}

// --- tasklet life cycle ---

static slp_tasklet* observed;
static int states_inside[5];

static void observe_states(void* arg) {
  (void)arg;
  states_inside[0] = slp_tasklet_is_current(observed);
  states_inside[1] = slp_tasklet_alive(observed);
  states_inside[2] = slp_tasklet_scheduled(observed);
  states_inside[3] = slp_tasklet_restorable(observed);
  states_inside[4] = slp_tasklet_paused(observed);
}

static void test_tasklet_states_through_its_life(void) {
  slp_tasklet* main_tasklet = slp_get_main();
  slp_tasklet* t = slp_tasklet_new(observe_states);
  observed = t;
  // New: bound, not alive.
  CHECK(slp_tasklet_alive(t) == 0 && slp_tasklet_paused(t) == 0);
  CHECK(slp_tasklet_scheduled(t) == 0 && slp_tasklet_blocked(t) == 0);
  CHECK(slp_tasklet_restorable(t) == 1 && slp_tasklet_is_current(t) == 0);
  CHECK(slp_tasklet_is_main(t) == 0);
  CHECK_FAILS(slp_tasklet_insert(t), -1, SLP_E_ERROR, "unbound(dead)");
  // Set up: alive, scheduled, restorable.
  CHECK_OK(slp_tasklet_setup(t, NULL));
  CHECK(slp_tasklet_alive(t) == 1 && slp_tasklet_scheduled(t) == 1);
  CHECK(slp_tasklet_paused(t) == 0 && slp_tasklet_restorable(t) == 1);
  CHECK(slp_get_run_count() == 2);
  CHECK_FAILS(slp_tasklet_setup(t, NULL), -1, SLP_E_ERROR, "alive");
  CHECK_FAILS(slp_tasklet_bind(t, log_arg), -1, SLP_E_ERROR, "alive");
  // Removed: paused.
  CHECK_OK(slp_tasklet_remove(t));
  CHECK(slp_tasklet_paused(t) == 1 && slp_tasklet_scheduled(t) == 0);
  CHECK(slp_get_run_count() == 1);
  CHECK_OK(slp_tasklet_remove(t));  // no-op
  CHECK_OK(slp_tasklet_insert(t));
  CHECK_OK(slp_tasklet_insert(t));  // no-op
  CHECK(slp_get_run_count() == 2);
  run_all();
  CHECK(states_inside[0] == 1 && states_inside[1] == 1);
  CHECK(states_inside[2] == 1 && states_inside[3] == 0);
  CHECK(states_inside[4] == 0);
  // Dead.
  CHECK(slp_tasklet_alive(t) == 0 && slp_tasklet_scheduled(t) == 0);
  CHECK(slp_tasklet_restorable(t) == 0);
  CHECK_FAILS(slp_tasklet_run(t), -1, SLP_E_ERROR, "unbound(dead)");
  // Main.
  CHECK(slp_tasklet_is_main(main_tasklet) == 1);
  CHECK(slp_tasklet_is_current(main_tasklet) == 1);
  CHECK(slp_tasklet_alive(main_tasklet) == 1);
  CHECK(slp_tasklet_restorable(main_tasklet) == 0);
  CHECK_FAILS(slp_tasklet_setup(main_tasklet, NULL), -1, SLP_E_ERROR, "alive");
  CHECK_FAILS(slp_tasklet_remove(main_tasklet), -1, SLP_E_ERROR,
              "current tasklet cannot be removed");
  // A dead tasklet is bound again and runs again.
  trace_text[0] = '\0';
  CHECK_OK(slp_tasklet_bind(t, log_arg));
  CHECK(slp_tasklet_restorable(t) == 1);
  CHECK_OK(slp_tasklet_setup(t, "second life"));
  run_all();
  CHECK_TRACE("second life,");
  drop(t);
  drop(main_tasklet);
}

static void test_run_jumps_and_switch_pauses_the_caller(void) {
  slp_tasklet* a = slp_tasklet_new(log_arg);
  slp_tasklet* b = slp_tasklet_new(log_arg);
  slp_tasklet* main_tasklet = slp_get_main();
  trace_text[0] = '\0';
  slp_tasklet_setup(a, "a");
  slp_tasklet_setup(b, "b");
  // b is scheduled: run() jumps to it; a is skipped, main is next.
  CHECK_OK(slp_tasklet_run(b));
  trace("main");
  run_all();
  CHECK_TRACE("b,main,a,");
  // A paused target lands just before the caller.
  rearm(a, log_arg, "a");
  rearm(b, log_arg, "b");
  CHECK_OK(slp_tasklet_remove(b));
  trace_text[0] = '\0';
  CHECK_OK(slp_tasklet_run_nice(b));  // never 1: no soft switching
  trace("main");
  run_all();
  CHECK_TRACE("b,main,a,");
  // switch: the caller is paused until someone wakes it; here the end of
  // the last tasklet does.
  rearm(a, log_arg, "a");
  trace_text[0] = '\0';
  CHECK_OK(slp_tasklet_switch(a));
  trace("main");
  CHECK_TRACE("a,main,");
  CHECK(slp_tasklet_scheduled(main_tasklet) == 1);
  CHECK_OK(slp_tasklet_switch(main_tasklet));  // itself: a no-op
  drop(a);
  drop(b);
  drop(main_tasklet);
}

// --- the scheduler ---

static void round_robin(void* arg) {
  int i;
  for (i = 0; i < 2; ++i) {
    tracef("%s%d", (const char*)arg, i);
    CHECK(slp_schedule(0) == 0);
  }
}

static slp_tasklet* parker;

static void park_once(void* arg) {
  (void)arg;
  trace("parking");
  CHECK(slp_tasklet_paused(parker) == 0);
  CHECK(slp_schedule_nice(1) == 0);  // never 1
  trace("woken");
}

static void test_schedule_and_schedule_remove(void) {
  slp_tasklet* a = slp_tasklet_new(round_robin);
  slp_tasklet* b = slp_tasklet_new(round_robin);
  trace_text[0] = '\0';
  CHECK_OK(slp_schedule(0));  // alone: no switch
  CHECK_OK(slp_schedule_nice(0));
  slp_tasklet_setup(a, "a");
  slp_tasklet_setup(b, "b");
  CHECK(slp_get_run_count() == 3);
  run_all();
  CHECK_TRACE("a0,b0,a1,b1,");
  CHECK(slp_get_run_count() == 1);

  parker = slp_tasklet_new(park_once);
  trace_text[0] = '\0';
  slp_tasklet_setup(parker, NULL);
  run_all();  // it parks: run() returns
  trace("main");
  CHECK(slp_tasklet_paused(parker) == 1);
  CHECK_OK(slp_tasklet_insert(parker));
  run_all();
  CHECK_TRACE("parking,main,woken,");
  drop(parker);
  drop(a);
  drop(b);
}

static void test_switch_trap(void) {
  slp_tasklet* t = slp_tasklet_new(log_arg);
  int old = -1;
  CHECK_OK(slp_switch_trap(1, &old));
  CHECK(old == 0);
  slp_tasklet_setup(t, "t");
  trace_text[0] = '\0';
  CHECK_FAILS(slp_schedule(0), -1, SLP_E_SWITCH_TRAP, "switch_trap");
  CHECK_FAILS(slp_tasklet_run(t), -1, SLP_E_SWITCH_TRAP, "switch_trap");
  CHECK_FAILS(slp_run_watchdog(0, NULL), -1, SLP_E_SWITCH_TRAP, "switch_trap");
  CHECK(slp_tasklet_restorable(t) == 1 && slp_tasklet_scheduled(t) == 1);
  CHECK(slp_get_run_count() == 2);
  CHECK_OK(slp_switch_trap(-1, &old));
  CHECK(old == 1);
  CHECK_OK(slp_switch_trap(0, NULL));
  run_all();
  CHECK_TRACE("t,");
  drop(t);
}

static void test_run_watchdog_arguments(void) {
  slp_tasklet* t = slp_tasklet_new(log_arg);
  slp_tasklet* interrupted = NULL;
  CHECK_OK(slp_run_watchdog(0, NULL));  // nothing to run
  CHECK_OK(slp_run_watchdog_ex(0, SLP_WATCHDOG_THREADBLOCK, NULL));
  CHECK_OK(slp_run_watchdog(0, &interrupted));
  CHECK(interrupted == NULL);
  CHECK_FAILS(slp_run_watchdog(-1, NULL), -1, SLP_E_ERROR,
              "timeout is negative");
  CHECK_FAILS(slp_run_watchdog_ex(0, 16, NULL), -1, SLP_E_ERROR,
              "unknown flag bits 16");
  CHECK_FAILS(slp_run_watchdog_budget(0, -5, 0, NULL), -1, SLP_E_ERROR,
              "time budget is negative");
  trace_text[0] = '\0';
  slp_tasklet_setup(t, "ex");
  CHECK_OK(slp_run_watchdog_ex(0,
                               SLP_WATCHDOG_SOFT | SLP_WATCHDOG_IGNORE_NESTING |
                                   SLP_WATCHDOG_TOTALTIMEOUT,
                               &interrupted));
  CHECK(interrupted == NULL);
  rearm(t, log_arg, "budget");
  CHECK_OK(slp_run_watchdog_budget(0, 0, 0, &interrupted));
  CHECK(interrupted == NULL);
  CHECK_TRACE("ex,budget,");
  CHECK_OK(slp_tick(1));
  CHECK_OK(slp_tick(1000));
  drop(t);
}

static int nesting_seen = -1;
static slp_tasklet* nesting_main;

static void see_main_nesting(void* arg) {
  (void)arg;
  nesting_seen = slp_tasklet_get_nesting_level(nesting_main);
  CHECK(slp_tasklet_paused(nesting_main) == 1);  // main is inside run()
}

static void test_nesting_level_counts_run(void) {
  slp_tasklet* t = slp_tasklet_new(see_main_nesting);
  nesting_main = slp_get_main();
  CHECK(slp_tasklet_get_nesting_level(nesting_main) == 0);
  CHECK(slp_tasklet_get_nesting_level(t) == 0);
  slp_tasklet_setup(t, NULL);
  run_all();
  CHECK(nesting_seen == 1);
  CHECK(slp_tasklet_get_nesting_level(nesting_main) == 0);
  drop(t);
  drop(nesting_main);
}

static void test_flags_return_the_old_value(void) {
  slp_tasklet* t = slp_tasklet_new(log_arg);
  CHECK(slp_tasklet_get_atomic(t) == 0);
  CHECK(slp_tasklet_set_atomic(t, 5) == 0);
  CHECK(slp_tasklet_get_atomic(t) == 1);
  CHECK(slp_tasklet_set_atomic(t, 0) == 1);
  CHECK(slp_tasklet_get_atomic(t) == 0);
  CHECK(slp_tasklet_get_ignore_nesting(t) == 0);
  CHECK(slp_tasklet_set_ignore_nesting(t, 1) == 0);
  CHECK(slp_tasklet_get_ignore_nesting(t) == 1);
  CHECK(slp_tasklet_set_ignore_nesting(t, 0) == 1);
  CHECK(slp_tasklet_get_block_trap(t) == 0);
  CHECK(slp_tasklet_set_block_trap(t, 1) == 0);
  CHECK(slp_tasklet_get_block_trap(t) == 1);
  CHECK(slp_tasklet_set_block_trap(t, 0) == 1);
  CHECK(slp_tasklet_get_block_trap(t) == 0);
  drop(t);
}

static void test_ids_and_names(void) {
  slp_tasklet* a = slp_tasklet_new(log_arg);
  slp_tasklet* b = slp_tasklet_new(log_arg);
  CHECK(slp_tasklet_id(a) != 0 && slp_tasklet_id(b) != 0);
  CHECK(slp_tasklet_id(a) != slp_tasklet_id(b));
  CHECK(strcmp(slp_tasklet_get_name(a), "") == 0);
  CHECK_OK(slp_tasklet_set_name(a, "worker"));
  CHECK(strcmp(slp_tasklet_get_name(a), "worker") == 0);
  drop(a);
  drop(b);
}

// --- stack information ---

static slp_channel* stack_channel;

static int recurse_then_block(int depth) {
  volatile char buffer[256];
  buffer[0] = (char)depth;
  if (depth > 0) return recurse_then_block(depth - 1) + buffer[0];
  slp_channel_receive(stack_channel, NULL);
  return buffer[0];
}

static long depth_inside = -1;
static slp_tasklet* stack_tasklet;

static void deep_tasklet(void* arg) {
  (void)arg;
  depth_inside = slp_tasklet_get_stack_depth(stack_tasklet);
  recurse_then_block(64);
}

static void test_stack_info_and_depth(void) {
  slp_stack_info info;
  slp_tasklet* main_tasklet = slp_get_main();
  stack_channel = slp_channel_new();
  stack_tasklet = slp_tasklet_new(deep_tasklet);
  memset(&info, 0xff, sizeof info);
  CHECK_OK(slp_tasklet_get_stack_info(stack_tasklet, &info));
  CHECK(info.stack_top == NULL && info.depth == 0 && info.heap_bytes == 0);
  CHECK(slp_tasklet_get_stack_depth(stack_tasklet) == 0);
  slp_tasklet_setup(stack_tasklet, NULL);
  run_all();  // blocked, 64 frames of 256 bytes deep
  CHECK(depth_inside > 0);
  CHECK_OK(slp_tasklet_get_stack_info(stack_tasklet, &info));
  CHECK(info.stack_top != NULL);
  CHECK((const char*)info.stack_pointer < (const char*)info.stack_top);
  CHECK(info.depth >= 64 * 256);
  CHECK(info.heap_bytes <= info.depth);
  CHECK(slp_tasklet_get_stack_depth(stack_tasklet) == (long)info.depth);
  CHECK((long)info.depth > depth_inside);
  // Main runs on the thread's own stack, which slp does not measure.
  CHECK_OK(slp_tasklet_get_stack_info(main_tasklet, &info));
  CHECK(info.stack_top == NULL && info.depth == 0);
  CHECK_OK(slp_channel_send(stack_channel, NULL));
  CHECK(slp_tasklet_alive(stack_tasklet) == 0);
  CHECK(slp_tasklet_get_stack_depth(stack_tasklet) == 0);
  drop(stack_tasklet);
  drop_channel(stack_channel);
  drop(main_tasklet);
}

// --- channels ---

static void receive_and_log(void* arg) {
  void* v = (void*)&v;
  if (slp_channel_receive((slp_channel*)arg, &v) == 0) {
    trace(v == NULL ? "got NULL" : (const char*)v);
  } else {
    tracef("%s %d", "receive failed", slp_last_error_kind());
  }
}

// send_pair: sends pair[1] on the channel pair[0].
static void send_pair(void* arg) {
  void** pair = (void**)arg;
  if (slp_channel_send((slp_channel*)pair[0], pair[1]) == 0) {
    trace("sent");
  } else {
    tracef("%s %d", "send failed", slp_last_error_kind());
  }
}

static void test_channel_carries_pointers_both_ways(void) {
  slp_channel* c = slp_channel_new();
  slp_tasklet* r = slp_tasklet_new(receive_and_log);
  slp_tasklet* s = slp_tasklet_new(send_pair);
  void* pair[2];
  void* v = NULL;
  CHECK(slp_channel_get_balance(c) == 0);
  CHECK(slp_channel_get_preference(c) == -1);
  CHECK(slp_channel_get_schedule_all(c) == 0);
  CHECK(slp_channel_get_closing(c) == 0 && slp_channel_get_closed(c) == 0);
  trace_text[0] = '\0';
  // A receiver waits; main sends to it.
  slp_tasklet_setup(r, c);
  run_all();
  CHECK(slp_channel_get_balance(c) == -1);
  CHECK_OK(slp_channel_send(c, "hello"));
  // A sender waits; main receives from it.
  pair[0] = c;
  pair[1] = "world";
  slp_tasklet_setup(s, pair);
  run_all();
  CHECK(slp_channel_get_balance(c) == 1);
  CHECK_OK(slp_channel_receive(c, &v));
  CHECK(v != NULL && strcmp((const char*)v, "world") == 0);
  run_all();
  // NULL is a value like any other; a NULL destination drops the value.
  rearm(r, receive_and_log, c);
  run_all();
  CHECK_OK(slp_channel_send_nice(c, NULL));
  rearm(s, send_pair, pair);
  run_all();
  CHECK_OK(slp_channel_receive_nice(c, NULL));
  run_all();
  CHECK_TRACE("hello,sent,got NULL,sent,");
  CHECK(slp_channel_get_balance(c) == 0);
  drop(r);
  drop(s);
  drop_channel(c);
}

// The placement of SB §4.2 / API.md §4.2: S meets the waiting partner P
// with A and B runnable behind it, under run().

static slp_channel* placement_channel;
static int token;

static void partner(void* arg) {
  int sending = *(const int*)arg;  // the direction of S
  void* v = NULL;
  trace("P wait");
  if (sending) {
    CHECK(slp_channel_receive(placement_channel, &v) == 0);
    trace(v == &token ? "P got" : "P got garbage");
  } else {
    CHECK(slp_channel_send(placement_channel, &token) == 0);
    trace("P sent");
  }
  trace("P end");
}

static void starter(void* arg) {
  int sending = *(const int*)arg;
  void* v = NULL;
  trace("S before");
  if (sending) {
    CHECK(slp_channel_send(placement_channel, &token) == 0);
    trace("S after");
  } else {
    CHECK(slp_channel_receive(placement_channel, &v) == 0);
    trace(v == &token ? "S got" : "S got garbage");
  }
}

static void check_placement(int sending, int preference, int schedule_all,
                            const char* expected, int line) {
  slp_tasklet* p = slp_tasklet_new(partner);
  slp_tasklet* s = slp_tasklet_new(starter);
  slp_tasklet* a = slp_tasklet_new(log_arg);
  slp_tasklet* b = slp_tasklet_new(log_arg);
  placement_channel = slp_channel_new();
  CHECK_OK(slp_channel_set_preference(placement_channel, preference));
  CHECK_OK(slp_channel_set_schedule_all(placement_channel, schedule_all));
  trace_text[0] = '\0';
  slp_tasklet_setup(p, &sending);
  slp_tasklet_setup(s, &sending);
  slp_tasklet_setup(a, "A");
  slp_tasklet_setup(b, "B");
  run_all();
  check_trace(expected, __FILE__, line);
  CHECK(slp_channel_get_balance(placement_channel) == 0);
  drop(p);
  drop(s);
  drop(a);
  drop(b);
  drop_channel(placement_channel);
}

static void test_preference_and_schedule_all_placement(void) {
  const char* send_partner_first = "P wait,S before,P got,P end,A,B,S after,";
  const char* send_caller_first = "P wait,S before,S after,A,B,P got,P end,";
  const char* receive_caller_first = "P wait,S before,S got,A,B,P sent,P end,";
  const char* receive_partner_first = "P wait,S before,P sent,P end,A,B,S got,";
  check_placement(1, -1, 0, send_partner_first, __LINE__);
  check_placement(1, 0, 0, send_caller_first, __LINE__);
  check_placement(1, 1, 0, send_caller_first, __LINE__);
  check_placement(0, -1, 0, receive_caller_first, __LINE__);
  check_placement(0, 0, 0, receive_caller_first, __LINE__);
  check_placement(0, 1, 0, receive_partner_first, __LINE__);
  check_placement(1, -1, 1, "P wait,S before,A,B,P got,P end,S after,",
                  __LINE__);
  check_placement(1, 1, 1, "P wait,S before,A,B,P got,P end,S after,",
                  __LINE__);
  check_placement(0, -1, 1, "P wait,S before,A,B,P sent,P end,S got,",
                  __LINE__);
  check_placement(0, 1, 1, "P wait,S before,A,B,P sent,P end,S got,", __LINE__);
}

static void test_preference_keeps_the_sign_and_main_without_run(void) {
  slp_channel* c = slp_channel_new();
  slp_tasklet* p = slp_tasklet_new(partner);
  slp_tasklet* a = slp_tasklet_new(log_arg);
  int sending = 1;
  CHECK_OK(slp_channel_set_preference(c, 7));
  CHECK(slp_channel_get_preference(c) == 1);
  CHECK_OK(slp_channel_set_preference(c, -3));
  CHECK(slp_channel_get_preference(c) == -1);
  CHECK_OK(slp_channel_set_schedule_all(c, 9));
  CHECK(slp_channel_get_schedule_all(c) == 1);
  CHECK_OK(slp_channel_set_schedule_all(c, 0));
  // SB §8 F 77: main, not inside run(), sends to a waiting receiver while
  // A is runnable: P, then A, then main continues.
  placement_channel = c;
  trace_text[0] = '\0';
  slp_tasklet_setup(p, &sending);
  run_all();
  slp_tasklet_setup(a, "A");
  CHECK_OK(slp_channel_send(c, &token));
  trace("main after");
  CHECK_TRACE("P wait,P got,P end,A,main after,");
  CHECK(slp_get_run_count() == 1);
  drop(p);
  drop(a);
  drop_channel(c);
}

static void test_balance_queue_and_fifo_order(void) {
  slp_channel* c = slp_channel_new();
  slp_tasklet* r[3];
  slp_tasklet* q;
  slp_tasklet* n;
  int i;
  trace_text[0] = '\0';
  for (i = 0; i < 3; ++i) {
    r[i] = slp_tasklet_new(receive_and_log);
    slp_tasklet_setup(r[i], c);
  }
  slp_clear_error();
  CHECK(slp_channel_queue(c) == NULL);
  CHECK(slp_last_error_kind() == SLP_OK);  // empty, not an error
  run_all();
  CHECK(slp_channel_get_balance(c) == -3);
  q = slp_channel_queue(c);
  CHECK(q == r[0]);
  n = slp_tasklet_next(r[0]);
  CHECK(n == r[1]);
  drop(n);
  n = slp_tasklet_next(r[1]);
  CHECK(n == r[2]);
  drop(n);
  slp_clear_error();
  CHECK(slp_tasklet_next(r[2]) == NULL);
  CHECK(slp_last_error_kind() == SLP_OK);
  CHECK(slp_tasklet_prev(r[0]) == NULL);
  n = slp_tasklet_prev(r[2]);
  CHECK(n == r[1]);
  drop(n);
  CHECK(slp_tasklet_blocked(r[1]) == 1 && slp_tasklet_scheduled(r[1]) == 1);
  CHECK(slp_tasklet_paused(r[1]) == 0);
  CHECK_OK(slp_channel_send(c, "first"));
  CHECK_OK(slp_channel_send(c, "second"));
  CHECK_OK(slp_channel_send(c, "third"));
  CHECK_TRACE("first,second,third,");
  CHECK(slp_channel_get_balance(c) == 0);
  drop(q);
  for (i = 0; i < 3; ++i) drop(r[i]);
  drop_channel(c);
}

static slp_tasklet* blocked_one;

static void test_a_blocked_tasklet_refuses_insert_remove_run(void) {
  slp_channel* c = slp_channel_new();
  blocked_one = slp_tasklet_new(receive_and_log);
  trace_text[0] = '\0';
  slp_tasklet_setup(blocked_one, c);
  run_all();
  CHECK(slp_tasklet_blocked(blocked_one) == 1);
  CHECK_FAILS(slp_tasklet_insert(blocked_one), -1, SLP_E_ERROR,
              "cannot run a blocked tasklet");
  CHECK_FAILS(slp_tasklet_remove(blocked_one), -1, SLP_E_ERROR,
              "cannot remove a blocked tasklet");
  CHECK_FAILS(slp_tasklet_run(blocked_one), -1, SLP_E_ERROR,
              "cannot run a blocked tasklet");
  CHECK_FAILS(slp_tasklet_switch(blocked_one), -1, SLP_E_ERROR,
              "cannot run a blocked tasklet");
  CHECK_FAILS(slp_tasklet_bind(blocked_one, log_arg), -1, SLP_E_ERROR, "alive");
  // Nothing changed.
  CHECK(slp_tasklet_blocked(blocked_one) == 1);
  CHECK(slp_channel_get_balance(c) == -1);
  CHECK(slp_get_run_count() == 1);
  CHECK_OK(slp_channel_send(c, "released"));
  CHECK_TRACE("released,");
  drop(blocked_one);
  drop_channel(c);
}

static void test_close_and_open(void) {
  slp_channel* c = slp_channel_new();
  slp_tasklet* s1 = slp_tasklet_new(send_pair);
  slp_tasklet* s2 = slp_tasklet_new(send_pair);
  slp_tasklet* r = slp_tasklet_new(receive_and_log);
  void* pair1[2];
  void* pair2[2];
  void* v = NULL;
  // A fresh closing channel is closed; what would block fails.
  CHECK_OK(slp_channel_close(c));
  CHECK(slp_channel_get_closing(c) == 1 && slp_channel_get_closed(c) == 1);
  CHECK_FAILS(slp_channel_send(c, "x"), -1, SLP_E_CLOSED, "closed channel");
  CHECK_FAILS(slp_channel_receive(c, &v), -1, SLP_E_CLOSED, "closed channel");
  CHECK(slp_channel_get_balance(c) == 0);
  CHECK_OK(slp_channel_open(c));
  CHECK(slp_channel_get_closing(c) == 0 && slp_channel_get_closed(c) == 0);
  // Two senders wait, then close: they can still be received from.
  pair1[0] = c;
  pair1[1] = "one";
  pair2[0] = c;
  pair2[1] = "two";
  trace_text[0] = '\0';
  slp_tasklet_setup(s1, pair1);
  slp_tasklet_setup(s2, pair2);
  run_all();
  CHECK_OK(slp_channel_close(c));
  CHECK(slp_channel_get_closing(c) == 1 && slp_channel_get_closed(c) == 0);
  CHECK_OK(slp_channel_receive(c, &v));
  CHECK(strcmp((const char*)v, "one") == 0);
  CHECK(slp_channel_get_balance(c) == 1);
  // A send on the closing channel would block: -1, nothing changed.
  CHECK_FAILS(slp_channel_send(c, "nine"), -1, SLP_E_CLOSED, "closed channel");
  CHECK(slp_channel_get_balance(c) == 1);
  {
    slp_tasklet* q = slp_channel_queue(c);
    CHECK(q == s2);
    drop(q);
  }
  CHECK_OK(slp_channel_receive(c, &v));
  CHECK(strcmp((const char*)v, "two") == 0);
  CHECK(slp_channel_get_closed(c) == 1);
  run_all();
  CHECK_TRACE("sent,sent,");
  // A receiver waiting on a closing channel can still be sent to.
  CHECK_OK(slp_channel_open(c));
  trace_text[0] = '\0';
  slp_tasklet_setup(r, c);
  run_all();
  CHECK_OK(slp_channel_close(c));
  CHECK(slp_channel_get_closed(c) == 0);
  CHECK_OK(slp_channel_send(c, "late"));
  CHECK(slp_channel_get_closed(c) == 1);
  CHECK_TRACE("late,");
  drop(s1);
  drop(s2);
  drop(r);
  drop_channel(c);
}

static void test_block_trap(void) {
  slp_channel* c = slp_channel_new();
  slp_tasklet* main_tasklet = slp_get_main();
  slp_tasklet* s = slp_tasklet_new(send_pair);
  void* pair[2];
  void* v = NULL;
  CHECK(slp_tasklet_set_block_trap(main_tasklet, 1) == 0);
  CHECK_FAILS(slp_channel_receive(c, &v), -1, SLP_E_BLOCK_TRAP,
              "does not like to be blocked");
  CHECK_FAILS(slp_channel_send(c, "x"), -1, SLP_E_BLOCK_TRAP,
              "does not like to be blocked");
  CHECK(slp_channel_get_balance(c) == 0);
  // An operation that completes at once is allowed.
  pair[0] = c;
  pair[1] = "now";
  trace_text[0] = '\0';
  slp_tasklet_setup(s, pair);
  CHECK(slp_tasklet_set_block_trap(main_tasklet, 1) == 1);
  slp_tasklet_set_block_trap(main_tasklet, 0);
  run_all();
  slp_tasklet_set_block_trap(main_tasklet, 1);
  CHECK_OK(slp_channel_receive(c, &v));
  CHECK(strcmp((const char*)v, "now") == 0);
  CHECK(slp_tasklet_set_block_trap(main_tasklet, 0) == 1);
  run_all();
  CHECK_TRACE("sent,");
  drop(s);
  drop(main_tasklet);
  drop_channel(c);
}

static void test_deadlock(void) {
  slp_channel* c = slp_channel_new();
  slp_tasklet* t = slp_tasklet_new(log_arg);
  void* v = NULL;
  CHECK_FAILS(slp_channel_receive(c, &v), -1, SLP_E_DEADLOCK, "Deadlock");
  CHECK(slp_channel_get_balance(c) == 0);
  // A tasklet ends while main waits: main is woken with the error.
  trace_text[0] = '\0';
  slp_tasklet_setup(t, "ends");
  CHECK_FAILS(slp_channel_receive(c, &v), -1, SLP_E_DEADLOCK,
              "receiving without a sender");
  CHECK_TRACE("ends,");
  CHECK(slp_channel_get_balance(c) == 0);
  drop(t);
  drop_channel(c);
}

// --- exceptions into tasklets ---

static void receive_until_stopped(void* arg) {
  slp_channel* c = (slp_channel*)arg;
  for (;;) {
    void* v = NULL;
    if (slp_channel_receive(c, &v) == 0) {
      trace((const char*)v);
      continue;
    }
    tracef("%s %d", slp_last_error(), slp_last_error_kind());
    if (slp_last_error_kind() == SLP_E_STOP_ITERATION ||
        slp_last_error_kind() == SLP_E_KILLED) {
      return;
    }
  }
}

static void test_send_exception(void) {
  slp_channel* c = slp_channel_new();
  slp_tasklet* r = slp_tasklet_new(receive_until_stopped);
  trace_text[0] = '\0';
  slp_tasklet_setup(r, c);
  run_all();
  CHECK_OK(slp_channel_send(c, "v1"));
  CHECK_OK(slp_channel_send_exception(c, SLP_E_USER, "bad value"));
  CHECK_OK(slp_channel_send_exception(c, SLP_E_ERROR, "misuse"));
  CHECK_OK(slp_channel_send_exception(c, SLP_E_DEADLOCK, NULL));
  CHECK_OK(slp_channel_send(c, "v2"));
  // Kinds that cannot be delivered: -1, and the receiver still waits.
  CHECK_FAILS(slp_channel_send_exception(c, SLP_OK, "x"), -1, SLP_E_ERROR,
              "not an exception C code can deliver");
  CHECK_FAILS(slp_channel_send_exception(c, SLP_E_NO_MEMORY, "x"), -1,
              SLP_E_ERROR, "not an exception C code can deliver");
  CHECK_FAILS(slp_channel_send_exception(c, 99, "x"), -1, SLP_E_ERROR,
              "kind 99");
  CHECK(slp_channel_get_balance(c) == -1);
  CHECK_OK(slp_channel_send_exception(c, SLP_E_STOP_ITERATION, NULL));
  CHECK_TRACE("v1,bad value 8,misuse 1,deadlock 2,v2,stop_iteration 7,");
  CHECK(slp_tasklet_alive(r) == 0);
  CHECK(slp_channel_get_balance(c) == 0);
  drop(r);
  drop_channel(c);
}

static void test_raise_and_throw(void) {
  slp_channel* c = slp_channel_new();
  slp_tasklet* r = slp_tasklet_new(receive_until_stopped);
  slp_tasklet* dead = slp_tasklet_new(log_arg);
  slp_tasklet* main_tasklet = slp_get_main();
  trace_text[0] = '\0';
  slp_tasklet_setup(r, c);
  run_all();
  // Raised now: the blocked receiver runs at once, then main is next.
  CHECK_OK(slp_tasklet_raise_exception(r, SLP_E_USER, "wake up"));
  trace("main");
  CHECK(slp_tasklet_blocked(r) == 1);  // it waits again
  // Thrown pending: it is only made runnable.
  CHECK_OK(slp_tasklet_throw(r, 1, SLP_E_ERROR, "later"));
  trace("main continues");
  CHECK(slp_tasklet_blocked(r) == 0 && slp_tasklet_scheduled(r) == 1);
  CHECK(slp_channel_get_balance(c) == 0);
  run_all();
  // Thrown not pending.
  CHECK_OK(slp_tasklet_throw(r, 0, SLP_E_USER, "now"));
  CHECK_OK(slp_tasklet_throw(r, 0, SLP_E_STOP_ITERATION, NULL));
  CHECK_TRACE("wake up 8,main,main continues,later 1,now 8,stop_iteration 7,");
  CHECK(slp_tasklet_alive(r) == 0);
  // On the current tasklet the call itself fails with the exception.
  CHECK_FAILS(slp_tasklet_raise_exception(main_tasklet, SLP_E_USER, "self"), -1,
              SLP_E_USER, "self");
  CHECK_FAILS(slp_tasklet_throw(main_tasklet, 1, SLP_E_ERROR, "self too"), -1,
              SLP_E_ERROR, "self too");
  // A dead tasklet: -1; a bad kind: -1; killing a dead one is a no-op.
  CHECK_FAILS(slp_tasklet_raise_exception(dead, SLP_E_USER, "x"), -1,
              SLP_E_ERROR, "dead tasklet");
  CHECK_FAILS(slp_tasklet_throw(dead, 0, 1234, "x"), -1, SLP_E_ERROR,
              "kind 1234");
  CHECK_OK(slp_tasklet_kill(dead, 0));
  CHECK_OK(slp_tasklet_kill(r, 1));
  drop(r);
  drop(dead);
  drop(main_tasklet);
  drop_channel(c);
}

static void log_kind_and_message(void* user, int kind, const char* message) {
  (void)user;
  tracef("handler %s %d", message, kind);
}

static void test_exception_before_the_tasklet_starts(void) {
  slp_tasklet* t = slp_tasklet_new(log_arg);
  trace_text[0] = '\0';
  // Not pending: it dies before its function runs, and the exception, now
  // an uncaught one, fails the caller's call.
  slp_tasklet_setup(t, "never printed");
  CHECK_FAILS(slp_tasklet_raise_exception(t, SLP_E_USER, "early"), -1,
              SLP_E_USER, "early");
  CHECK(slp_tasklet_alive(t) == 0);
  // Pending: it surfaces from the next run.
  rearm(t, log_arg, "never printed");
  CHECK_OK(slp_tasklet_throw(t, 1, SLP_E_ERROR, "pending early"));
  CHECK_FAILS(slp_run_watchdog(0, NULL), -1, SLP_E_ERROR, "pending early");
  // An error handler sees it instead, in the dying tasklet.
  CHECK_OK(slp_set_error_handler(log_kind_and_message, NULL));
  rearm(t, log_arg, "never printed");
  CHECK_OK(slp_tasklet_raise_exception(t, SLP_E_USER, "handled"));
  CHECK_OK(slp_set_error_handler(NULL, NULL));
  rearm(t, log_arg, "never printed");
  CHECK_FAILS(slp_tasklet_raise_exception(t, SLP_E_USER, "unhandled"), -1,
              SLP_E_USER, "unhandled");
  CHECK_TRACE("handler handled 8,");
  CHECK(slp_get_run_count() == 1);
  drop(t);
}

// --- killing a tasklet that runs C code ---

static slp_channel* kill_channel;
static slp_tasklet* kill_victim;

static void killable_worker(void* arg) {
  void* v = NULL;
  (void)arg;
  while (slp_channel_receive(kill_channel, &v) == 0) trace((const char*)v);
  tracef("%s %d", "receive failed", slp_last_error_kind());
  // From now on every call that could switch fails at once...
  tracef("%s %d", "schedule", slp_schedule(0));
  tracef("%s %d", "kind", slp_last_error_kind());
  tracef("%s %d", "send", slp_channel_send(kill_channel, NULL));
  tracef("%s %d", "receive", slp_channel_receive(kill_channel, NULL));
  tracef("%s %d", "tick", slp_tick(1));
  tracef("%s %d", "run watchdog", slp_run_watchdog(0, NULL));
  // ...while the others still work, so that it can clean up.
  tracef("%s %d", "alive", slp_tasklet_alive(kill_victim));
  tracef("%s %d", "balance", slp_channel_get_balance(kill_channel));
  trace("cleaned up");
}

static void test_kill_a_tasklet_blocked_in_c(void) {
  kill_channel = slp_channel_new();
  kill_victim = slp_tasklet_new(killable_worker);
  trace_text[0] = '\0';
  slp_tasklet_setup(kill_victim, NULL);
  run_all();
  CHECK_OK(slp_channel_send(kill_channel, "one"));
  CHECK_OK(slp_channel_send(kill_channel, "two"));
  CHECK_OK(slp_tasklet_kill(kill_victim, 0));
  trace("main");
  CHECK_TRACE(
      "one,two,receive failed 6,schedule -1,kind 6,send -1,receive -1,"
      "tick -1,run watchdog -1,alive 1,balance 0,cleaned up,main,");
  CHECK(slp_tasklet_alive(kill_victim) == 0);
  CHECK(slp_channel_get_balance(kill_channel) == 0);
  CHECK(slp_get_run_count() == 1);
  // Pending: made runnable; it dies at the next run.
  trace_text[0] = '\0';
  rearm(kill_victim, killable_worker, NULL);
  run_all();
  CHECK_OK(slp_tasklet_kill(kill_victim, 1));
  trace("main");
  CHECK(slp_tasklet_scheduled(kill_victim) == 1);
  CHECK(slp_tasklet_blocked(kill_victim) == 0);
  run_all();
  CHECK(slp_tasklet_alive(kill_victim) == 0);
  CHECK_TRACE(
      "main,receive failed 6,schedule -1,kind 6,send -1,receive -1,"
      "tick -1,run watchdog -1,alive 1,balance 0,cleaned up,");
  drop(kill_victim);
  drop_channel(kill_channel);
}

static void kill_myself(void* arg) {
  slp_tasklet* self = slp_get_current();
  (void)arg;
  tracef("%s %d", "kill self", slp_tasklet_kill(self, 0));
  tracef("%s %d", "kind", slp_last_error_kind());
  tracef("%s %d", "schedule", slp_schedule(0));
  slp_tasklet_decref(self);
}

static void test_kill_yourself_then_others_are_unaffected(void) {
  slp_tasklet* t = slp_tasklet_new(kill_myself);
  slp_tasklet* a = slp_tasklet_new(round_robin);
  trace_text[0] = '\0';
  slp_tasklet_setup(t, NULL);
  slp_tasklet_setup(a, "a");
  run_all();
  CHECK_TRACE("kill self -1,kind 6,schedule -1,a0,a1,");
  CHECK(slp_tasklet_alive(t) == 0);
  drop(t);
  drop(a);
}

// --- the watchdog: preemption at slp_tick ---

static int finished[3];
static const int indexes[3] = {0, 1, 2};

// busy: 1000 ticks without a switch.
static void busy(void* arg) {
  int i;
  for (i = 0; i < 1000; ++i) {
    if (slp_tick(1) != 0) {
      tracef("%s %d", "tick failed", slp_last_error_kind());
      return;
    }
  }
  finished[*(const int*)arg] = 1;
}

static void atomic_busy(void* arg) {
  slp_tasklet* self = slp_get_current();
  CHECK(slp_tasklet_set_atomic(self, 1) == 0);
  busy(arg);
  slp_tasklet_decref(self);
}

// cooperative: 400 ticks, switching every 5.
static void cooperative(void* arg) {
  int i;
  for (i = 0; i < 400; ++i) {
    if (slp_tick(1) != 0) return;
    if (i % 5 == 4 && slp_schedule(0) != 0) return;
  }
  finished[*(const int*)arg] = 1;
}

static void test_watchdog_hard_interrupt_returns_the_tasklet(void) {
  slp_tasklet* a = slp_tasklet_new(busy);
  slp_tasklet* victim = NULL;
  int interrupts = 0;
  memset(finished, 0, sizeof finished);
  trace_text[0] = '\0';
  slp_tasklet_setup(a, (void*)&indexes[0]);
  CHECK_OK(slp_run_watchdog(100, &victim));
  CHECK(victim == a);  // the same C object, a new reference
  CHECK(slp_tasklet_paused(a) == 1 && slp_tasklet_scheduled(a) == 0);
  CHECK(finished[0] == 0);
  while (victim != NULL) {
    ++interrupts;
    CHECK_OK(slp_tasklet_insert(victim));
    drop(victim);
    victim = NULL;
    CHECK_OK(slp_run_watchdog(100, &victim));
  }
  CHECK(interrupts >= 9 && interrupts <= 10);
  CHECK(finished[0] == 1);
  // With `interrupted` NULL the interrupted tasklet is inserted again.
  rearm(a, busy, (void*)&indexes[1]);
  CHECK_OK(slp_run_watchdog(100, NULL));
  CHECK(slp_get_run_count() == 2 && slp_tasklet_scheduled(a) == 1);
  CHECK(finished[1] == 0);
  while (slp_get_run_count() > 1) CHECK_OK(slp_run_watchdog(100, NULL));
  CHECK(finished[1] == 1);
  CHECK_TRACE("");
  drop(a);
}

static void test_watchdog_soft_atomic_and_total_timeout(void) {
  slp_tasklet* a = slp_tasklet_new(busy);
  slp_tasklet* b = slp_tasklet_new(cooperative);
  slp_tasklet* c = slp_tasklet_new(cooperative);
  slp_tasklet* victim = NULL;
  memset(finished, 0, sizeof finished);
  // Soft: nobody is removed; the busy one, which never switches, runs to
  // its end, and the watchdog wakes at the next switch.
  slp_tasklet_setup(a, (void*)&indexes[0]);
  slp_tasklet_setup(b, (void*)&indexes[1]);
  CHECK_OK(slp_run_watchdog_ex(100, SLP_WATCHDOG_SOFT, &victim));
  CHECK(victim == NULL);
  CHECK(finished[0] == 1 && slp_tasklet_scheduled(b) == 1);
  CHECK_OK(slp_run_watchdog(0, NULL));
  CHECK(finished[1] == 1);
  // Atomic: never interrupted.
  memset(finished, 0, sizeof finished);
  rearm(a, atomic_busy, (void*)&indexes[0]);
  CHECK_OK(slp_run_watchdog(100, &victim));
  CHECK(victim == NULL && finished[0] == 1);
  // Two tasklets switching every 5 ticks are never interrupted by a
  // timeout of 500, unless it is one budget for the whole run.
  rearm(b, cooperative, (void*)&indexes[1]);
  rearm(c, cooperative, (void*)&indexes[2]);
  CHECK_OK(slp_run_watchdog(500, &victim));
  CHECK(victim == NULL && finished[1] == 1 && finished[2] == 1);
  memset(finished, 0, sizeof finished);
  rearm(b, cooperative, (void*)&indexes[1]);
  rearm(c, cooperative, (void*)&indexes[2]);
  CHECK_OK(slp_run_watchdog_ex(500, SLP_WATCHDOG_TOTALTIMEOUT, &victim));
  CHECK(victim == b || victim == c);
  CHECK(finished[1] + finished[2] < 2);
  if (victim != NULL) {
    CHECK_OK(slp_tasklet_insert(victim));
    drop(victim);
  }
  while (slp_get_run_count() > 1) CHECK_OK(slp_run_watchdog(0, NULL));
  CHECK(finished[1] == 1 && finished[2] == 1);
  drop(a);
  drop(b);
  drop(c);
}

static double seconds_now(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

// ticking_for_a_while: ticks for 200 ms of wall-clock time.
static void ticking_for_a_while(void* arg) {
  double end = seconds_now() + 0.2;
  (void)arg;
  while (seconds_now() < end) {
    if (slp_tick(1) != 0) {
      tracef("%s %d", "tick failed", slp_last_error_kind());
      return;
    }
  }
  trace("ticked to the end");
}

static void test_watchdog_time_budget_then_kill_inside_tick(void) {
  slp_tasklet* t = slp_tasklet_new(ticking_for_a_while);
  slp_tasklet* victim = NULL;
  trace_text[0] = '\0';
  slp_tasklet_setup(t, NULL);
  CHECK_OK(slp_run_watchdog_budget(0, 1000000, 0, &victim));  // 1 ms
  CHECK(victim == t && slp_tasklet_paused(t) == 1);
  // Killed where it was interrupted: its slp_tick fails, it returns.
  CHECK_OK(slp_tasklet_kill(victim, 0));
  CHECK(slp_tasklet_alive(t) == 0);
  CHECK_TRACE("tick failed 6,");
  drop(victim);
  drop(t);
}

// --- the hooks ---

static slp_channel* hook_channel;
static slp_tasklet* hook_main;
static slp_tasklet* hook_other;

static const char* who(slp_tasklet* t) {
  if (t == NULL) return "-";
  if (t == hook_main) return "M";
  if (t == hook_other) return "T";
  return "?";
}

static void channel_hook(void* user, slp_channel* ch, slp_tasklet* t,
                         int sending, int will_block) {
  char event[64];
  snprintf(event, sizeof event, "%s%s %s s%d b%d", (const char*)user,
           ch == hook_channel ? "c" : "?", who(t), sending, will_block);
  trace(event);
  // No channel operation inside a hook.
  if (slp_channel_send(ch, NULL) != -1 ||
      strstr(slp_last_error(), "inside a hook") == NULL) {
    trace("a channel operation inside a hook");
  }
}

static void test_channel_callback(void) {
  hook_channel = slp_channel_new();
  hook_main = slp_get_main();
  hook_other = slp_tasklet_new(receive_and_log);
  CHECK_OK(slp_set_channel_callback(channel_hook, "1:"));
  trace_text[0] = '\0';
  slp_tasklet_setup(hook_other, hook_channel);
  run_all();
  CHECK_OK(slp_channel_send(hook_channel, "x"));
  // The will-block decision is reported even when the operation fails.
  CHECK_OK(slp_channel_close(hook_channel));
  CHECK_FAILS(slp_channel_send(hook_channel, "y"), -1, SLP_E_CLOSED,
              "closed channel");
  // Replacing it stops the old one; NULL removes it.
  CHECK_OK(slp_set_channel_callback(channel_hook, "2:"));
  CHECK_FAILS(slp_channel_receive(hook_channel, NULL), -1, SLP_E_CLOSED,
              "closed channel");
  CHECK_OK(slp_set_channel_callback(NULL, NULL));
  CHECK_FAILS(slp_channel_receive(hook_channel, NULL), -1, SLP_E_CLOSED,
              "closed channel");
  CHECK_TRACE("1:c T s0 b1,1:c M s1 b0,x,1:c M s1 b1,2:c M s0 b1,");
  drop(hook_other);
  drop(hook_main);
  drop_channel(hook_channel);
}

static void schedule_hook(void* user, slp_tasklet* from, slp_tasklet* to) {
  char event[64];
  snprintf(event, sizeof event, "%s%s>%s", (const char*)user, who(from),
           who(to));
  trace(event);
}

static uint64_t fast_main_id;
static uint64_t fast_other_id;

static const char* who_view(const slp_tasklet_view* v) {
  if (v == NULL) return "-";
  if (v->id == fast_main_id && v->is_main) return "M";
  if (v->id == fast_other_id && !v->is_main && strcmp(v->name, "other") == 0) {
    return "T";
  }
  return "?";
}

static void fast_hook(void* user, const slp_tasklet_view* from,
                      const slp_tasklet_view* to) {
  char event[64];
  snprintf(event, sizeof event, "%s%s>%s", (const char*)user, who_view(from),
           who_view(to));
  trace(event);
}

static void test_schedule_callback_and_fast_hook(void) {
  hook_main = slp_get_main();
  hook_other = slp_tasklet_new(log_arg);
  slp_tasklet_set_name(hook_other, "other");
  fast_main_id = slp_tasklet_id(hook_main);
  fast_other_id = slp_tasklet_id(hook_other);
  CHECK_OK(slp_set_schedule_callback(schedule_hook, "cb:"));
  trace_text[0] = '\0';
  slp_tasklet_setup(hook_other, "T runs");
  run_all();
  CHECK_TRACE("cb:M>T,T runs,cb:T>-,cb:->M,");
  // Replaced by another: only the new one is called; then removed.
  CHECK_OK(slp_set_schedule_callback(schedule_hook, "new:"));
  trace_text[0] = '\0';
  rearm(hook_other, log_arg, "T runs");
  run_all();
  CHECK_OK(slp_set_schedule_callback(NULL, NULL));
  rearm(hook_other, log_arg, "T unseen");
  run_all();
  CHECK_TRACE("new:M>T,T runs,new:T>-,new:->M,T unseen,");
  // The fast hook: the same points, seen through views.
  CHECK_OK(slp_set_schedule_fasthook(fast_hook, "fast:"));
  trace_text[0] = '\0';
  rearm(hook_other, log_arg, "T runs");
  run_all();
  CHECK_OK(slp_set_schedule_fasthook(NULL, NULL));
  rearm(hook_other, log_arg, "T unseen");
  run_all();
  CHECK_TRACE("fast:M>T,T runs,fast:T>-,fast:->M,T unseen,");
  drop(hook_other);
  drop(hook_main);
}

// --- calling from outside: threads that have no scheduler yet ---

struct outside_result {
  int had_main_before;
  int has_main_inside;
  int current_is_main;
  int sum;
  int other_thread_stack_info;
  int nested_call_ok;
  int configure_ok;
  int configure_bad;
};

// Values never point into a suspended tasklet's stack: the sum is sent
// as a pointer to static storage.
static int outside_sum;

static void add_received(void* arg) {
  slp_channel* c = (slp_channel*)arg;
  void* v = NULL;
  outside_sum = 0;
  while (slp_channel_receive(c, &v) == 0 && v != NULL) {
    outside_sum += *(int*)v;
  }
  slp_channel_send(c, &outside_sum);
}

static int nested_inner_ran;

static void nested_inner(void* arg) {
  slp_tasklet* self = slp_get_current();
  nested_inner_ran = slp_tasklet_is_main(self) == (arg == NULL);
  slp_tasklet_decref(self);
}

static void call_main_from_a_tasklet(void* arg) {
  (void)arg;
  // Inside: a plain call, in this tasklet.
  slp_call_main(nested_inner, "in a tasklet");
}

static slp_tasklet* main_thread_tasklet;

static void outside_main(void* arg) {
  struct outside_result* out = (struct outside_result*)arg;
  slp_tasklet* self;
  out->has_main_inside = slp_has_main();
  // No tasklet of this thread has started: it may still be configured.
  out->configure_bad = slp_configure(64 * 1024, 0) == -1;
  out->configure_ok = slp_configure(256 * 1024, 2) == 0;
  self = slp_get_current();
  slp_channel* c = slp_channel_new();
  slp_tasklet* adder = slp_tasklet_new(add_received);
  slp_tasklet* nested = slp_tasklet_new(call_main_from_a_tasklet);
  slp_stack_info info;
  static int values[3] = {1, 2, 39};
  void* total = NULL;
  int i;
  out->current_is_main = slp_tasklet_is_main(self);
  slp_tasklet_setup(adder, c);
  for (i = 0; i < 3; ++i) slp_channel_send(c, &values[i]);
  slp_channel_send(c, NULL);
  slp_channel_receive(c, &total);
  out->sum = total != NULL ? *(int*)total : -1;
  out->other_thread_stack_info =
      slp_tasklet_get_stack_info(main_thread_tasklet, &info) == -1 &&
      strstr(slp_last_error(), "another thread") != NULL;
  nested_inner_ran = 0;
  slp_tasklet_setup(nested, NULL);
  slp_run_watchdog(0, NULL);
  out->nested_call_ok = nested_inner_ran;
  slp_tasklet_decref(nested);
  slp_tasklet_decref(adder);
  slp_channel_decref(c);
  slp_tasklet_decref(self);
}

static void* thread_with_call_main(void* arg) {
  struct outside_result* out = (struct outside_result*)arg;
  out->had_main_before = slp_has_main();
  if (slp_call_main(outside_main, out) != 0) out->sum = -2;
  return NULL;
}

// A thread that never calls slp_call_main, and ends with a C tasklet
// still blocked: the thread's end kills it through its C frames.
static int killed_at_thread_end;

static void wait_forever(void* arg) {
  if (slp_channel_receive((slp_channel*)arg, NULL) == -1 &&
      slp_last_error_kind() == SLP_E_KILLED) {
    killed_at_thread_end = 1;
  }
}

static void* thread_without_call_main(void* arg) {
  slp_channel* c = slp_channel_new();
  slp_tasklet* t = slp_tasklet_new(wait_forever);  // makes the scheduler
  int* had_main = (int*)arg;
  *had_main = slp_has_main();
  slp_tasklet_setup(t, c);
  slp_run_watchdog(0, NULL);  // t blocks for good
  slp_tasklet_decref(t);
  slp_channel_decref(c);
  return NULL;
}

static void test_calls_from_outside(void) {
  struct outside_result out;
  pthread_t thread;
  int had_main = -1;
  memset(&out, 0, sizeof out);
  main_thread_tasklet = slp_get_main();
  CHECK(slp_has_main() == 1);
  CHECK(pthread_create(&thread, NULL, thread_with_call_main, &out) == 0);
  CHECK(pthread_join(thread, NULL) == 0);
  CHECK(out.had_main_before == 0);
  CHECK(out.has_main_inside == 1);
  CHECK(out.current_is_main == 1);
  CHECK(out.sum == 42);
  CHECK(out.other_thread_stack_info == 1);
  CHECK(out.nested_call_ok == 1);
  CHECK(out.configure_ok == 1);
  CHECK(out.configure_bad == 1);
  killed_at_thread_end = 0;
  CHECK(pthread_create(&thread, NULL, thread_without_call_main, &had_main) ==
        0);
  CHECK(pthread_join(thread, NULL) == 0);
  CHECK(had_main == 1);
  CHECK(killed_at_thread_end == 1);
  // From inside, slp_call_main is a plain call on the current tasklet.
  nested_inner_ran = 0;
  CHECK_OK(slp_call_main(nested_inner, NULL));
  CHECK(nested_inner_ran == 1);
  // This thread's tasklets have started: too late to configure.
  CHECK_FAILS(slp_configure(256 * 1024, 2), -1, SLP_E_ERROR, "already started");
  drop(main_thread_tasklet);
}

// --- the runner ---

struct test_case {
  const char* name;
  void (*run)(void);
};

// --- threads ---

// send_from_thread: the body of a thread started with slp_thread_start: it
// reports whether its scheduler already existed, then sends on the channel.
static void send_from_thread(void* arg) {
  slp_channel* c = (slp_channel*)arg;
  intptr_t had_main = slp_has_main();
  slp_channel_send(c, (void*)(had_main + 41));
}

// slp_thread_start: the new thread has its scheduler before its function
// runs, and counts as a thread that could wake others as soon as the call
// returns: main, receiving at once with nothing runnable, sleeps until the
// value arrives instead of failing with a deadlock error (API.md §8),
// every time. Then the errors of NULL arguments, with nothing started.
static void test_thread_start_and_join(void) {
  int i;
  for (i = 0; i < 50; ++i) {
    slp_channel* c = slp_channel_new();
    slp_thread* t = slp_thread_start(send_from_thread, c);
    void* got = NULL;
    CHECK(t != NULL);
    CHECK_OK(slp_channel_receive(c, &got));
    CHECK((intptr_t)got == 42); /* 41 + slp_has_main() == 1 */
    CHECK_OK(slp_thread_join(t));
    drop_channel(c);
  }
  slp_clear_error();
  CHECK(slp_thread_start(NULL, NULL) == NULL);
  CHECK(slp_last_error_kind() == SLP_E_ERROR);
  CHECK(strcmp(slp_last_error(),
               "slp_thread_start: the thread function is NULL") == 0);
  CHECK_FAILS(slp_thread_join(NULL), -1, SLP_E_ERROR,
              "slp_thread_join: the thread is NULL");
}

static const struct test_case tests[] = {
    {"errors_start_clear_and_reset", test_errors_start_clear_and_reset},
    {"null_tasklet_everywhere", test_null_tasklet_everywhere},
    {"null_channel_everywhere", test_null_channel_everywhere},
    {"null_function_and_other_null_arguments",
     test_null_function_and_other_null_arguments},
    {"decref_below_zero_and_stale_pointers",
     test_decref_below_zero_and_stale_pointers},
    {"become_and_capture_are_not_provided",
     test_become_and_capture_are_not_provided},
    {"the_same_tasklet_is_the_same_pointer",
     test_the_same_tasklet_is_the_same_pointer},
    {"dropped_runnable_tasklet_still_runs",
     test_dropped_runnable_tasklet_still_runs},
    {"last_reference_of_a_paused_tasklet_kills_it",
     test_last_reference_of_a_paused_tasklet_kills_it},
    {"tasklet_states_through_its_life", test_tasklet_states_through_its_life},
    {"run_jumps_and_switch_pauses_the_caller",
     test_run_jumps_and_switch_pauses_the_caller},
    {"schedule_and_schedule_remove", test_schedule_and_schedule_remove},
    {"switch_trap", test_switch_trap},
    {"run_watchdog_arguments", test_run_watchdog_arguments},
    {"nesting_level_counts_run", test_nesting_level_counts_run},
    {"flags_return_the_old_value", test_flags_return_the_old_value},
    {"ids_and_names", test_ids_and_names},
    {"stack_info_and_depth", test_stack_info_and_depth},
    {"channel_carries_pointers_both_ways",
     test_channel_carries_pointers_both_ways},
    {"preference_and_schedule_all_placement",
     test_preference_and_schedule_all_placement},
    {"preference_keeps_the_sign_and_main_without_run",
     test_preference_keeps_the_sign_and_main_without_run},
    {"balance_queue_and_fifo_order", test_balance_queue_and_fifo_order},
    {"a_blocked_tasklet_refuses_insert_remove_run",
     test_a_blocked_tasklet_refuses_insert_remove_run},
    {"close_and_open", test_close_and_open},
    {"block_trap", test_block_trap},
    {"deadlock", test_deadlock},
    {"send_exception", test_send_exception},
    {"raise_and_throw", test_raise_and_throw},
    {"exception_before_the_tasklet_starts",
     test_exception_before_the_tasklet_starts},
    {"kill_a_tasklet_blocked_in_c", test_kill_a_tasklet_blocked_in_c},
    {"kill_yourself_then_others_are_unaffected",
     test_kill_yourself_then_others_are_unaffected},
    {"watchdog_hard_interrupt_returns_the_tasklet",
     test_watchdog_hard_interrupt_returns_the_tasklet},
    {"watchdog_soft_atomic_and_total_timeout",
     test_watchdog_soft_atomic_and_total_timeout},
    {"watchdog_time_budget_then_kill_inside_tick",
     test_watchdog_time_budget_then_kill_inside_tick},
    {"channel_callback", test_channel_callback},
    {"schedule_callback_and_fast_hook", test_schedule_callback_and_fast_hook},
    {"calls_from_outside", test_calls_from_outside},
    {"thread_start_and_join", test_thread_start_and_join},
};

int main(int argc, char** argv) {
  int passed = 0;
  int failed = 0;
  size_t i;
  for (i = 0; i < sizeof tests / sizeof tests[0]; ++i) {
    slp_tasklet* current;
    if (argc > 1 && strstr(tests[i].name, argv[1]) == NULL) continue;
    failures_in_test = 0;
    trace_text[0] = '\0';
    slp_clear_error();
    tests[i].run();
    // Every test leaves the scheduler as it found it.
    CHECK(slp_get_run_count() == 1);
    current = slp_get_current();
    CHECK(slp_tasklet_is_main(current) == 1);
    slp_tasklet_decref(current);
    if (failures_in_test == 0) {
      ++passed;
      printf("[ OK ] %s\n", tests[i].name);
    } else {
      ++failed;
      printf("[FAIL] %s\n", tests[i].name);
    }
  }
  printf("c_api_test: %d passed, %d failed (%d checks)\n", passed, failed,
         checks_run);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
