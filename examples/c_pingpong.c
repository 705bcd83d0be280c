/* SPDX-License-Identifier: MIT */
// Ping-pong in C: two tasklets hit a ball back and forth over channels,
// through the C API (<slp/slp.h>). The one that makes the sixth hit ends
// the rally; the other, still waiting for the ball, is killed, and sees
// its slp_channel_receive() fail with SLP_E_KILLED.
//
//   $ ./c_pingpong
//   ping 1
//   pong 2
//   ping 3
//   pong 4
//   ping 5
//   pong 6
//   pong ends the rally
//   main: 6 hits; ping still waits for the ball: 1
//   ping stops: killed
#include <slp/slp.h>
#include <stdio.h>
#include <stdlib.h>

struct player {
  const char* name;
  slp_channel* in;    // the ball comes in here
  slp_channel* out;   // and goes out here
  slp_channel* done;  // or here, at the end of the rally
};

// Channels carry pointers; the ball lives in static storage, never on a
// tasklet's stack (which may be saved to the heap while it waits).
static int ball;

static void play(void* arg) {
  struct player* p = arg;
  void* received;
  while (slp_channel_receive(p->in, &received) == 0) {
    int* hits = received;
    printf("%s %d\n", p->name, ++*hits);
    if (*hits == 6) {
      printf("%s ends the rally\n", p->name);
      slp_channel_send(p->done, hits);
      return;
    }
    slp_channel_send(p->out, hits);
  }
  printf("%s stops: %s\n", p->name,
         slp_last_error_kind() == SLP_E_KILLED ? "killed" : slp_last_error());
}

static void check(int ok, const char* what) {
  if (ok) return;
  fprintf(stderr, "c_pingpong: %s failed: %s\n", what, slp_last_error());
  exit(EXIT_FAILURE);
}

int main(void) {
  slp_channel* to_ping = slp_channel_new();
  slp_channel* to_pong = slp_channel_new();
  slp_channel* done = slp_channel_new();
  struct player ping = {"ping", to_ping, to_pong, done};
  struct player pong = {"pong", to_pong, to_ping, done};
  slp_tasklet* ping_tasklet = slp_tasklet_new(play);
  slp_tasklet* pong_tasklet = slp_tasklet_new(play);
  void* result = NULL;

  check(ping_tasklet != NULL && pong_tasklet != NULL, "slp_tasklet_new");
  check(slp_tasklet_setup(ping_tasklet, &ping) == 0, "setup ping");
  check(slp_tasklet_setup(pong_tasklet, &pong) == 0, "setup pong");

  check(slp_channel_send(to_ping, &ball) == 0, "serve");  // blocks: ping runs
  check(slp_channel_receive(done, &result) == 0, "wait for the end");
  check(slp_run_watchdog(0, NULL) == 0, "run the others");  // pong returns
  printf("main: %d hits; ping still waits for the ball: %d\n", *(int*)result,
         slp_tasklet_blocked(ping_tasklet));

  check(slp_tasklet_kill(ping_tasklet, 0) == 0, "kill ping");
  slp_tasklet_decref(ping_tasklet);
  slp_tasklet_decref(pong_tasklet);
  slp_channel_decref(to_ping);
  slp_channel_decref(to_pong);
  slp_channel_decref(done);
  return EXIT_SUCCESS;
}
