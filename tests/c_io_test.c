/* SPDX-License-Identifier: MIT */
// The C API of time and I/O (API.md §10, <slp/slp.h>), from C99:
// slp_sleep_for and the order sleepers wake in, slp_wait_fd on a pipe
// (ready, timed out, woken by slp_close_fd), slp_channel_receive_for
// (timed out with the balance back, received in time), and each error
// return with its kind and message. Times are asserted only as orders and
// lower bounds.
//
// Each test is a function; the program prints "N passed, M failed" and
// exits non-zero when a test failed.
#define _GNU_SOURCE

#include <errno.h>
#include <fcntl.h>
#include <slp/slp.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

static char trace_text[1024];
static void trace(const char* event) {
  strncat(trace_text, event, sizeof trace_text - strlen(trace_text) - 1);
}

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void run_all(void) {
  slp_tasklet* interrupted = NULL;
  CHECK(slp_run_watchdog(0, &interrupted) == 0);
  CHECK(interrupted == NULL);
}

static void start(slp_function fn, void* arg) {
  slp_tasklet* t = slp_tasklet_new(fn);
  CHECK(t != NULL);
  CHECK(slp_tasklet_setup(t, arg) == 0);
  CHECK(slp_tasklet_decref(t) == 0);
}

// --- sleeping ---

static void sleep_then_log(void* arg) {
  const char* name = (const char*)arg;
  /* 40 ms apart: more than the tasklets' starts apart, even under qemu. */
  CHECK(slp_sleep_for((long long)(name[0] - '0') * 40000000LL) == 0);
  trace(name);
}

static void test_sleepers_wake_in_deadline_order(void) {
  trace_text[0] = '\0';
  const long long began = now_ns();
  start(sleep_then_log, "3c ");
  start(sleep_then_log, "1a ");
  start(sleep_then_log, "2b ");
  start(sleep_then_log, "0z "); /* 0: as slp_schedule() */
  run_all();
  CHECK(strcmp(trace_text, "0z 1a 2b 3c ") == 0);
  CHECK(now_ns() - began >= 120000000LL);
}

// --- descriptors ---

static int pipe_fds[2];

static void write_later(void* arg) {
  (void)arg;
  CHECK(slp_sleep_for(5000000LL) == 0);
  trace("write ");
  CHECK(write(pipe_fds[1], "x", 1) == 1);
}

static void wait_then_log(void* arg) {
  (void)arg;
  CHECK(slp_wait_fd(pipe_fds[0], SLP_WAIT_READ, -1) == 1);
  trace("readable ");
}

static void test_wait_fd(void) {
  CHECK(pipe2(pipe_fds, O_NONBLOCK) == 0);
  /* Timed out: 0, and not before its time. */
  const long long began = now_ns();
  CHECK(slp_wait_fd(pipe_fds[0], SLP_WAIT_READ, 10000000LL) == 0);
  CHECK(now_ns() - began >= 10000000LL);
  CHECK(slp_wait_fd(pipe_fds[1], SLP_WAIT_WRITE, 0) == 1);
  /* Written by another tasklet. */
  trace_text[0] = '\0';
  start(wait_then_log, NULL);
  start(write_later, NULL);
  run_all();
  CHECK(strcmp(trace_text, "write readable ") == 0);
  /* Woken by slp_close_fd. */
  char c;
  CHECK(read(pipe_fds[0], &c, 1) == 1);
  trace_text[0] = '\0';
  start(wait_then_log, NULL);
  CHECK(slp_schedule(0) == 0);
  CHECK(slp_close_fd(pipe_fds[0]) == 0);
  run_all();
  CHECK(strcmp(trace_text, "readable ") == 0);
  CHECK(read(pipe_fds[0], &c, 1) == -1 && errno == EBADF);
  CHECK(close(pipe_fds[1]) == 0);
}

static void test_errors(void) {
  char text[64];
  CHECK(slp_wait_fd(0, 3, 0) == -1);
  CHECK(slp_last_error_kind() == SLP_E_ERROR);
  CHECK(strstr(slp_last_error(), "SLP_WAIT_READ or SLP_WAIT_WRITE") != NULL);
  CHECK(slp_wait_fd(-1, SLP_WAIT_READ, 0) == -1);
  CHECK(slp_last_error_kind() == SLP_E_ERROR);
  CHECK(strstr(slp_last_error(), "descriptor -1") != NULL);
  CHECK(strstr(slp_last_error(), strerror(EBADF)) != NULL);
  CHECK(slp_close_fd(-1) == -1);
  snprintf(text, sizeof text, "slp::close: descriptor -1");
  CHECK(strstr(slp_last_error(), text) != NULL);
  CHECK(slp_sleep_for(1000) == 0);
  CHECK(slp_last_error_kind() == SLP_OK);
}

// --- receive_for ---

static slp_channel* channel;

static void send_later(void* arg) {
  CHECK(slp_sleep_for(5000000LL) == 0);
  CHECK(slp_channel_send(channel, arg) == 0);
}

static void test_receive_for(void) {
  channel = slp_channel_new();
  CHECK(channel != NULL);
  void* got = NULL;
  const long long began = now_ns();
  CHECK(slp_channel_receive_for(channel, &got, 10000000LL) == 1);
  CHECK(now_ns() - began >= 10000000LL);
  CHECK(slp_channel_get_balance(channel) == 0);
  CHECK(got == NULL);
  static char value[] = "value";
  start(send_later, value);
  CHECK(slp_channel_receive_for(channel, &got, 10000000000LL) == 0);
  CHECK(got == value);
  run_all();
  CHECK(slp_channel_receive_for(NULL, &got, 0) == -1);
  CHECK(slp_last_error_kind() == SLP_E_ERROR);
  CHECK(slp_channel_decref(channel) == 0);
}

int main(void) {
  struct {
    const char* name;
    void (*fn)(void);
  } tests[] = {
      {"sleepers_wake_in_deadline_order", test_sleepers_wake_in_deadline_order},
      {"wait_fd", test_wait_fd},
      {"errors", test_errors},
      {"receive_for", test_receive_for},
  };
  int passed = 0, failed = 0;
  for (size_t i = 0; i < sizeof tests / sizeof tests[0]; ++i) {
    failures_in_test = 0;
    tests[i].fn();
    if (failures_in_test == 0) {
      ++passed;
    } else {
      ++failed;
      fprintf(stderr, "FAILED: %s\n", tests[i].name);
    }
  }
  printf("%d passed, %d failed (%d checks)\n", passed, failed, checks_run);
  return failed == 0 ? 0 : 1;
}
