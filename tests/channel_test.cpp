// SPDX-License-Identifier: MIT
// Channels: send / receive pairing, balance and queue (SB §8 group E), who
// runs after a hand-off for every preference and schedule_all (group F,
// API.md §4.2), close / iteration / send_sequence (group G), blocking with
// nothing runnable (group H), the blocked variants of the tasklet cases of
// groups B, C and D, values that cross stacks which are copied away on every
// switch (API.md §4.1), and misuse that must change nothing (API.md §1).
// Each test names the Stackless case it follows (reference/
// stackless-behaviour.md §8, cited as "SB n"). Expected orders are derived
// from the runnables model of SB §1.4 and the table of API.md §4.2.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <exception>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "slp/slp.hpp"
#include "test_support.hpp"

namespace slp::test {
namespace {

class ChannelTest : public SlpTest {};

// ids: the ids of `tasklets` in order, to compare with ring().
std::vector<std::uint64_t> ids(std::initializer_list<tasklet> tasklets) {
  std::vector<std::uint64_t> out;
  for (const tasklet& t : tasklets) out.push_back(t.id());
  return out;
}

// queue_ids: the waiters of `c`, from queue() along next().
template <class T>
std::vector<std::uint64_t> queue_ids(const channel<T>& c) {
  std::vector<std::uint64_t> out;
  for (std::optional<tasklet> t = c.queue(); t && out.size() < 100;
       t = t->next()) {
    out.push_back(t->id());
  }
  return out;
}

// block_trap_reset: clears the current tasklet's block_trap at scope exit.
struct block_trap_reset {
  ~block_trap_reset() { current().set_block_trap(false); }
};

// value_error: an exception with arguments, like Python's ValueError(1, 2, 3).
struct value_error : std::exception {
  value_error(int x, int y, int z) : a(x), b(y), c(z) {}
  const char* what() const noexcept override { return "value_error"; }
  int a, b, c;
};

// --- E. Channels: basics ---

// SB 60: a tasklet that sends with nobody receiving blocks; balance 1. The
// same with receive: balance -1.
TEST_F(ChannelTest, E60_BlockingSendAndReceive) {
  trace log;
  channel<int> c;
  tasklet t{[&] {
    log.push_back("t:send");
    c.send(1);
    log.push_back("t:sent");
  }};
  t();
  t.run();
  log.push_back("main");
  EXPECT_TRUE(t.blocked());
  EXPECT_TRUE(t.scheduled());
  EXPECT_TRUE(t.alive());
  EXPECT_FALSE(t.paused());
  EXPECT_EQ(c.balance(), 1);
  EXPECT_EQ(c.queue(), t);
  EXPECT_EQ(run_count(), 1u);
  EXPECT_EQ(c.receive(), 1);  // preference -1: the receiver (main) continues
  EXPECT_EQ(c.balance(), 0);
  EXPECT_FALSE(t.blocked());
  run();
  EXPECT_EQ(log, (trace{"t:send", "main", "t:sent"}));

  log.clear();
  tasklet r{[&] {
    log.push_back("r:receive");
    log.push_back("r:got " + std::to_string(c.receive()));
  }};
  r();
  r.run();
  log.push_back("main");
  EXPECT_TRUE(r.blocked());
  EXPECT_EQ(c.balance(), -1);
  EXPECT_EQ(c.queue(), r);
  c.send(2);  // preference -1: the receiver runs first
  log.push_back("main again");
  EXPECT_EQ(c.balance(), 0);
  EXPECT_EQ(log, (trace{"r:receive", "main", "r:got 2", "main again"}));
  EXPECT_FALSE(r.alive());
}

// SB 61: block_trap allows a send that completes at once.
TEST_F(ChannelTest, E61_BlockTrapAllowsSendToAWaitingReceiver) {
  block_trap_reset reset;
  std::string got;
  channel<std::string> c;
  tasklet r{[&] { got = c.receive(); }};
  r();
  r.run();
  ASSERT_TRUE(r.blocked());
  current().set_block_trap(true);
  EXPECT_NO_THROW(c.send("v"));
  EXPECT_EQ(got, "v");
  EXPECT_EQ(c.balance(), 0);
  EXPECT_FALSE(r.alive());
}

// SB 62: block_trap allows a receive from a waiting sender.
TEST_F(ChannelTest, E62_BlockTrapAllowsReceiveFromAWaitingSender) {
  block_trap_reset reset;
  channel<std::string> c;
  tasklet s{[&] { c.send("v"); }};
  s();
  s.run();
  ASSERT_TRUE(s.blocked());
  current().set_block_trap(true);
  EXPECT_EQ(c.receive(), "v");
  EXPECT_EQ(c.balance(), 0);
  current().set_block_trap(false);
  run();
  EXPECT_FALSE(s.alive());
}

// SB 63: with block_trap, an operation that would block fails, on main
// and in a tasklet, and changes nothing.
TEST_F(ChannelTest, E63_BlockTrapRefusesAnOperationThatWouldBlock) {
  block_trap_reset reset;
  channel<int> c;
  current().set_block_trap(true);
  expect_error<block_trap_error>([&] { c.send(1); },
                                 "does not like to be blocked");
  expect_error<block_trap_error>([&] { c.receive(); },
                                 "does not like to be blocked");
  EXPECT_EQ(c.balance(), 0);
  EXPECT_FALSE(c.queue());
  EXPECT_TRUE(current().is_main());
  EXPECT_EQ(run_count(), 1u);
  current().set_block_trap(false);

  trace log;
  tasklet t{[&] {
    current().set_block_trap(true);
    try {
      c.send(1);
    } catch (const block_trap_error& e) {
      log.push_back(std::string("send:") + e.what());
    }
    try {
      c.receive();
    } catch (const block_trap_error& e) {
      log.push_back(std::string("receive:") + e.what());
    }
    log.push_back("end");
  }};
  t();
  run();
  ASSERT_EQ(log.size(), 3u);
  EXPECT_NE(log[0].find("does not like to be blocked"), std::string::npos)
      << log[0];
  EXPECT_NE(log[1].find("does not like to be blocked"), std::string::npos)
      << log[1];
  EXPECT_EQ(log[2], "end");
  EXPECT_EQ(c.balance(), 0);
}

// SB 64: send_exception from a blocked sender: the receiver throws it, with
// its arguments.
TEST_F(ChannelTest, E64_SendExceptionRaisesInTheReceiver) {
  channel<int> c;
  tasklet s{[&] { c.send_exception<value_error>(1, 2, 3); }};
  s();
  s.run();
  ASSERT_TRUE(s.blocked());
  EXPECT_EQ(c.balance(), 1);
  try {
    c.receive();
    ADD_FAILURE() << "receive() returned";
  } catch (const value_error& e) {
    EXPECT_EQ(e.a, 1);
    EXPECT_EQ(e.b, 2);
    EXPECT_EQ(e.c, 3);
  }
  EXPECT_EQ(c.balance(), 0);
  run();
  EXPECT_FALSE(s.alive());

  // The exception_ptr form; an empty one is refused and changes nothing.
  expect_error<error>([&] { c.send_exception(std::exception_ptr()); }, "empty");
  tasklet r{[&] {
    c.send_exception(
        std::make_exception_ptr(std::invalid_argument("by pointer")));
  }};
  r();
  expect_error<std::invalid_argument>([&] { c.receive(); }, "by pointer");
  run();
  EXPECT_EQ(c.balance(), 0);
}

// A channel of std::exception_ptr carries exceptions as values: one that is
// sent arrives as a value and is not raised, while send_exception() on the
// same channel raises, in both directions of the hand-off (the value or the
// exception waiting in a blocked sender, and handed to a blocked receiver).
TEST_F(ChannelTest, E64_ExceptionPtrValuesAreNotRaised) {
  channel<std::exception_ptr> c;
  c.set_preference(0);
  trace log;
  auto describe = [&](const std::optional<std::exception_ptr>& got) {
    log.push_back(got.has_value() ? "value " + what_of(*got) : "none");
  };
  tasklet s{[&] {
    c.send(std::make_exception_ptr(std::runtime_error("carried")));
    c.send_exception(std::make_exception_ptr(std::runtime_error("raised")));
  }};
  s();
  s.run();  // blocks with the value
  describe(c.receive());
  s.run();  // blocks with the exception
  try {
    c.receive();
    log.push_back("receive returned");
  } catch (const std::runtime_error& e) {
    log.push_back(std::string("caught ") + e.what());
  }
  tasklet r{[&] {
    describe(c.receive());
    try {
      c.receive();
      log.push_back("receive returned");
    } catch (const std::runtime_error& e) {
      log.push_back(std::string("caught ") + e.what());
    }
  }};
  r();
  r.run();  // blocks waiting
  c.send(std::make_exception_ptr(std::runtime_error("handed")));
  r.run();  // takes it, then waits again
  c.send_exception(std::make_exception_ptr(std::runtime_error("thrown")));
  run();
  EXPECT_EQ(log, (trace{"value carried", "caught raised", "value handed",
                        "caught thrown"}));
  EXPECT_EQ(c.balance(), 0);
  EXPECT_FALSE(r.alive());
}

// SB 65 (C++ form of send_throw(*sys.exc_info())): a sender forwards the
// exception it is handling; the receiver gets that exception.
TEST_F(ChannelTest, E65_SendExceptionForwardsTheCurrentException) {
  channel<int> c;
  auto bar = [] { throw std::runtime_error("raised in bar"); };
  tasklet s{[&] {
    try {
      bar();
    } catch (...) {
      c.send_exception(std::current_exception());
    }
  }};
  s();
  expect_error<std::runtime_error>([&] { c.receive(); }, "raised in bar");
  run();
  EXPECT_FALSE(s.alive());
}

// SB 66: waiters are FIFO: queue() is the first, next() links the others
// and is std::nullopt at the end of the queue.
TEST_F(ChannelTest, E66_QueueIsTheFirstWaiterAndNextFollowsInOrder) {
  channel<int> c;
  tasklet t{[&] { c.send(1); }};
  tasklet t2{[&] { c.send(2); }};
  t();
  t2();
  run();  // both block; nothing runnable: run() returns
  EXPECT_EQ(c.balance(), 2);
  ASSERT_TRUE(c.queue());
  EXPECT_EQ(*c.queue(), t);
  EXPECT_EQ(t.next(), t2);
  EXPECT_FALSE(t2.next());
  EXPECT_FALSE(t.prev());
  EXPECT_EQ(t2.prev(), t);
  EXPECT_EQ(queue_ids(c), ids({t, t2}));
  EXPECT_EQ(c.receive(), 1);
  EXPECT_EQ(queue_ids(c), ids({t2}));
  EXPECT_EQ(c.receive(), 2);
  EXPECT_FALSE(c.queue());
  run();
}

// SB 67: the channel callback sees (c, main, sending, not blocking) before
// the send changes anything.
TEST_F(ChannelTest, E67_ChannelCallbackSeesChannelCallerAndDirection) {
  struct call {
    bool same_channel;
    std::uint64_t caller;
    bool sending, will_block;
    int balance;
    bool receiver_blocked;
  };
  std::vector<call> calls;
  std::string got;
  channel<int> other;
  channel<std::string> c;
  tasklet r{[&] { got = c.receive(); }};
  r();
  r.run();
  hooks_reset reset;
  set_channel_callback([&](const channel_ref& ch, const tasklet& t,
                           bool sending, bool will_block) {
    calls.push_back(
        {ch == c, t.id(), sending, will_block, ch.balance(), r.blocked()});
  });
  c.send("42");
  set_channel_callback(nullptr);
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_TRUE(calls[0].same_channel);
  EXPECT_FALSE(channel_ref(other) == c);
  EXPECT_EQ(calls[0].caller, main_tasklet().id());
  EXPECT_TRUE(calls[0].sending);
  EXPECT_FALSE(calls[0].will_block);
  EXPECT_EQ(calls[0].balance, -1) << "the callback runs before the hand-off";
  EXPECT_TRUE(calls[0].receiver_blocked);
  EXPECT_EQ(got, "42");
}

// SB 68: preference keeps the sign; the defaults are -1 and off. (C++ has
// no TypeError case.) Copies share the channel; channel_ref views it.
TEST_F(ChannelTest, E68_PreferenceKeepsTheSignAndDefaults) {
  channel<int> c;
  EXPECT_EQ(c.preference(), -1);
  EXPECT_FALSE(c.schedule_all());
  EXPECT_FALSE(c.closing());
  EXPECT_FALSE(c.closed());
  EXPECT_EQ(c.balance(), 0);
  c.set_preference(2);
  EXPECT_EQ(c.preference(), 1);
  c.set_preference(-2);
  EXPECT_EQ(c.preference(), -1);
  c.set_preference(0);
  EXPECT_EQ(c.preference(), 0);
  c.set_preference(2147483647);
  EXPECT_EQ(c.preference(), 1);
  c.set_preference(-2147483647 - 1);
  EXPECT_EQ(c.preference(), -1);
  c.set_preference(true);
  EXPECT_EQ(c.preference(), 1);
  c.set_schedule_all(true);
  EXPECT_TRUE(c.schedule_all());
  c.set_schedule_all(false);
  EXPECT_FALSE(c.schedule_all());

  channel<int> copy = c;
  copy.set_schedule_all(true);
  EXPECT_TRUE(c.schedule_all()) << "a copy is the same channel";
  EXPECT_TRUE(copy == c);
  const channel_ref view = c;
  EXPECT_TRUE(view == c);
  EXPECT_EQ(view.id(), c.id());
  EXPECT_EQ(view.preference(), 1);
  EXPECT_TRUE(view.schedule_all());
  channel<int> fresh;
  EXPECT_FALSE(fresh == c);
  EXPECT_NE(fresh.id(), c.id());
}

// A channel_ref changes the channel it views: the settings, close() and
// open() act on the channel itself, and queue() is its first waiter.
TEST_F(ChannelTest, ChannelRefSetsAndQueriesTheChannelItViews) {
  channel<int> c;
  channel_ref view = c;
  view.set_preference(5);
  EXPECT_EQ(c.preference(), 1) << "only the sign is kept";
  view.set_preference(0);
  EXPECT_EQ(c.preference(), 0);
  view.set_schedule_all(true);
  EXPECT_TRUE(c.schedule_all());
  view.set_schedule_all(false);
  EXPECT_FALSE(c.schedule_all());

  EXPECT_FALSE(view.queue());
  tasklet sender{[&] { c.send(7); }};
  sender();
  run();  // it blocks; nothing runnable: run() returns
  ASSERT_TRUE(view.queue());
  EXPECT_EQ(*view.queue(), sender);

  view.close();
  EXPECT_TRUE(c.closing());
  EXPECT_FALSE(c.closed()) << "the sender still waits";
  EXPECT_EQ(c.receive(), 7) << "a waiting sender still delivers";
  EXPECT_TRUE(c.closed());
  view.open();
  EXPECT_FALSE(c.closing());
  run();
  EXPECT_FALSE(sender.alive());
}

// --- F. Who runs after a hand-off (API.md §4.2) ---

// handoff_run: what happened when S met the blocked partner P, with the
// runnables [S, A, B] under slp::run(); each ring is a snapshot taken by
// that tasklet right after its operation (S, P) or when it starts (A).
struct handoff_run {
  trace log;
  std::vector<std::uint64_t> ring_s, ring_p, ring_a;
  std::uint64_t s = 0, p = 0, a = 0, b = 0;
  int balance_after = 99;
};

handoff_run handoff(bool s_sends, int preference, bool schedule_all) {
  handoff_run r;
  channel<std::string> c;
  c.set_preference(preference);
  c.set_schedule_all(schedule_all);
  tasklet p{[&] {
    r.log.push_back("P before");
    if (s_sends) {
      r.log.push_back("P got " + c.receive());
    } else {
      c.send("v");
      r.log.push_back("P sent");
    }
    r.ring_p = ring();
    r.log.push_back("P end");
  }};
  tasklet s{[&] {
    r.log.push_back("S before");
    if (s_sends) {
      c.send("v");
      r.ring_s = ring();
      r.log.push_back("S after");
    } else {
      std::string v = c.receive();
      r.ring_s = ring();
      r.log.push_back("S got " + v);
    }
  }};
  tasklet a{[&] {
    r.ring_a = ring();
    r.log.push_back("A");
  }};
  tasklet b{[&] { r.log.push_back("B"); }};
  // P runs first and blocks; then the runnables are [S, A, B].
  p();
  s();
  a();
  b();
  EXPECT_FALSE(run().has_value());
  r.s = s.id();
  r.p = p.id();
  r.a = a.id();
  r.b = b.id();
  r.balance_after = c.balance();
  EXPECT_FALSE(p.alive() || s.alive() || a.alive() || b.alive());
  return r;
}

// SB 70: send, preference -1: the receiver P runs now; [P, A, B, S].
TEST_F(ChannelTest, F70_SendPreferMinusOneRunsReceiverFirst) {
  const handoff_run r = handoff(true, -1, false);
  EXPECT_EQ(r.log, (trace{"P before", "S before", "P got v", "P end", "A", "B",
                          "S after"}));
  EXPECT_EQ(r.ring_p, (std::vector<std::uint64_t>{r.p, r.a, r.b, r.s}));
  EXPECT_EQ(r.ring_a, (std::vector<std::uint64_t>{r.a, r.b, r.s}));
  EXPECT_EQ(r.ring_s, (std::vector<std::uint64_t>{r.s}));
  EXPECT_EQ(r.balance_after, 0);
}

// SB 71: send, preference 0: S continues; [S, A, B, P].
TEST_F(ChannelTest, F71_SendPreferZeroSenderContinues) {
  const handoff_run r = handoff(true, 0, false);
  EXPECT_EQ(r.log, (trace{"P before", "S before", "S after", "A", "B",
                          "P got v", "P end"}));
  EXPECT_EQ(r.ring_s, (std::vector<std::uint64_t>{r.s, r.a, r.b, r.p}));
  EXPECT_EQ(r.ring_a, (std::vector<std::uint64_t>{r.a, r.b, r.p}));
  EXPECT_EQ(r.ring_p, (std::vector<std::uint64_t>{r.p}));
  EXPECT_EQ(r.balance_after, 0);
}

// SB 72: send, preference +1: as 71.
TEST_F(ChannelTest, F72_SendPreferPlusOneSenderContinues) {
  const handoff_run r = handoff(true, 1, false);
  EXPECT_EQ(r.log, (trace{"P before", "S before", "S after", "A", "B",
                          "P got v", "P end"}));
  EXPECT_EQ(r.ring_s, (std::vector<std::uint64_t>{r.s, r.a, r.b, r.p}));
  EXPECT_EQ(r.ring_a, (std::vector<std::uint64_t>{r.a, r.b, r.p}));
  EXPECT_EQ(r.ring_p, (std::vector<std::uint64_t>{r.p}));
  EXPECT_EQ(r.balance_after, 0);
}

// SB 73: receive, preference -1: the receiver S continues with the value;
// [S, A, B, P].
TEST_F(ChannelTest, F73_ReceivePreferMinusOneReceiverContinues) {
  const handoff_run r = handoff(false, -1, false);
  EXPECT_EQ(r.log, (trace{"P before", "S before", "S got v", "A", "B", "P sent",
                          "P end"}));
  EXPECT_EQ(r.ring_s, (std::vector<std::uint64_t>{r.s, r.a, r.b, r.p}));
  EXPECT_EQ(r.ring_a, (std::vector<std::uint64_t>{r.a, r.b, r.p}));
  EXPECT_EQ(r.ring_p, (std::vector<std::uint64_t>{r.p}));
  EXPECT_EQ(r.balance_after, 0);
}

// SB 74: receive, preference 0: as 73.
TEST_F(ChannelTest, F74_ReceivePreferZeroReceiverContinues) {
  const handoff_run r = handoff(false, 0, false);
  EXPECT_EQ(r.log, (trace{"P before", "S before", "S got v", "A", "B", "P sent",
                          "P end"}));
  EXPECT_EQ(r.ring_s, (std::vector<std::uint64_t>{r.s, r.a, r.b, r.p}));
  EXPECT_EQ(r.ring_a, (std::vector<std::uint64_t>{r.a, r.b, r.p}));
  EXPECT_EQ(r.ring_p, (std::vector<std::uint64_t>{r.p}));
  EXPECT_EQ(r.balance_after, 0);
}

// SB 75: receive, preference +1: the sender P runs now; [P, A, B, S].
TEST_F(ChannelTest, F75_ReceivePreferPlusOneRunsSenderFirst) {
  const handoff_run r = handoff(false, 1, false);
  EXPECT_EQ(r.log, (trace{"P before", "S before", "P sent", "P end", "A", "B",
                          "S got v"}));
  EXPECT_EQ(r.ring_p, (std::vector<std::uint64_t>{r.p, r.a, r.b, r.s}));
  EXPECT_EQ(r.ring_a, (std::vector<std::uint64_t>{r.a, r.b, r.s}));
  EXPECT_EQ(r.ring_s, (std::vector<std::uint64_t>{r.s}));
  EXPECT_EQ(r.balance_after, 0);
}

// SB 76: schedule_all, send, any preference: A and B run first, then P,
// then S; [A, B, P, S].
TEST_F(ChannelTest, F76_ScheduleAllSendDefersBothPartners) {
  for (int preference : {-1, 0, 1}) {
    SCOPED_TRACE("preference " + std::to_string(preference));
    const handoff_run r = handoff(true, preference, true);
    EXPECT_EQ(r.log, (trace{"P before", "S before", "A", "B", "P got v",
                            "P end", "S after"}));
    EXPECT_EQ(r.ring_a, (std::vector<std::uint64_t>{r.a, r.b, r.p, r.s}));
    EXPECT_EQ(r.ring_p, (std::vector<std::uint64_t>{r.p, r.s}));
    EXPECT_EQ(r.ring_s, (std::vector<std::uint64_t>{r.s}));
    EXPECT_EQ(r.balance_after, 0);
  }
}

// SB 76: schedule_all, receive, any preference.
TEST_F(ChannelTest, F76_ScheduleAllReceiveDefersBothPartners) {
  for (int preference : {-1, 0, 1}) {
    SCOPED_TRACE("preference " + std::to_string(preference));
    const handoff_run r = handoff(false, preference, true);
    EXPECT_EQ(r.log, (trace{"P before", "S before", "A", "B", "P sent", "P end",
                            "S got v"}));
    EXPECT_EQ(r.ring_a, (std::vector<std::uint64_t>{r.a, r.b, r.p, r.s}));
    EXPECT_EQ(r.ring_p, (std::vector<std::uint64_t>{r.p, r.s}));
    EXPECT_EQ(r.ring_s, (std::vector<std::uint64_t>{r.s}));
    EXPECT_EQ(r.balance_after, 0);
  }
}

// SB 76 with S alone: schedule_all runs P (S was alone), then S.
TEST_F(ChannelTest, F76_ScheduleAllWithTheCallerAloneRunsThePartner) {
  trace log;
  channel<int> c;
  c.set_schedule_all(true);
  tasklet p{[&] { log.push_back("P got " + std::to_string(c.receive())); }};
  p();
  p.run();
  ASSERT_TRUE(p.blocked());
  c.send(5);  // [main, P] -> P runs, then main
  log.push_back("main");
  EXPECT_EQ(log, (trace{"P got 5", "main"}));
  EXPECT_EQ(run_count(), 1u);
}

// SB 77: main without run(): preference -1, main sends to a waiting
// receiver while A is runnable: P, then A, then main (runcount 1). With +1,
// main continues at once, runcount 3, and P runs after A at the next run().
TEST_F(ChannelTest, F77_MainWithoutRunSendsToAWaitingReceiver) {
  trace log;
  std::vector<std::uint64_t> ring_p;
  channel<std::string> c;
  tasklet p{[&] {
    log.push_back("P got " + c.receive());
    ring_p = ring();
  }};
  p();
  p.run();
  tasklet a{[&] { log.push_back("A"); }};
  a();
  ASSERT_TRUE(p.blocked());
  c.send("v");
  log.push_back("main");
  EXPECT_EQ(log, (trace{"P got v", "A", "main"}));
  EXPECT_EQ(ring_p, ids({p, a, main_tasklet()}));
  EXPECT_EQ(run_count(), 1u);

  log.clear();
  c.set_preference(1);
  tasklet p2{[&] { log.push_back("P2 got " + c.receive()); }};
  p2();
  p2.run();
  tasklet a2{[&] { log.push_back("A2"); }};
  a2();
  c.send("w");
  log.push_back("main");
  EXPECT_EQ(run_count(), 3u);
  EXPECT_EQ(ring(), ids({main_tasklet(), a2, p2}));
  run();
  EXPECT_EQ(log, (trace{"main", "A2", "P2 got w"}));
}

// --- G. close / open / iteration / send_sequence ---

// SB 78: a fresh channel, closed: send and receive fail, iteration ends at
// once.
TEST_F(ChannelTest, G78_ClosedFreshChannelRefusesAndIterationEnds) {
  channel<int> c;
  c.close();
  EXPECT_TRUE(c.closing());
  EXPECT_TRUE(c.closed());
  expect_error<channel_closed_error>([&] { c.send(1); }, "closed channel");
  expect_error<channel_closed_error>([&] { c.receive(); }, "closed channel");
  int steps = 0;
  for (int v : c) {
    (void)v;
    ++steps;
  }
  EXPECT_EQ(steps, 0);
  EXPECT_EQ(c.balance(), 0);
  EXPECT_EQ(run_count(), 1u);
}

// SB 79: two senders wait, then close(): closing, not closed; waiting
// senders can still be received from; a send that would block fails;
// iteration drains the rest; open() clears both flags.
TEST_F(ChannelTest, G79_ClosingChannelDrainsItsWaitingSenders) {
  channel<int> c;
  tasklet t1{[&] { c.send(1); }};
  tasklet t2{[&] { c.send(2); }};
  t1();
  t2();
  run();
  ASSERT_EQ(c.balance(), 2);
  c.close();
  EXPECT_TRUE(c.closing());
  EXPECT_FALSE(c.closed());
  EXPECT_EQ(c.receive(), 1);
  EXPECT_EQ(c.balance(), 1);
  expect_error<channel_closed_error>([&] { c.send(9); }, "closed channel");
  EXPECT_EQ(c.balance(), 1);
  std::vector<int> rest;
  for (int v : c) rest.push_back(v);
  EXPECT_EQ(rest, (std::vector<int>{2}));
  EXPECT_TRUE(c.closed());
  c.open();
  EXPECT_FALSE(c.closing());
  EXPECT_FALSE(c.closed());
  run();
  EXPECT_FALSE(t1.alive());
  EXPECT_FALSE(t2.alive());
}

// SB 80: one waiting sender, close(): closing, not closed; killing it
// makes the channel closed; open() clears both.
TEST_F(ChannelTest, G80_KillingTheLastWaiterOfAClosingChannelClosesIt) {
  channel<int> c;
  tasklet t{[&] { c.send(1); }};
  t();
  t.run();
  c.close();
  EXPECT_TRUE(c.closing());
  EXPECT_FALSE(c.closed());
  t.kill();
  EXPECT_FALSE(t.alive());
  EXPECT_EQ(c.balance(), 0);
  EXPECT_TRUE(c.closed());
  c.open();
  EXPECT_FALSE(c.closing());
  EXPECT_FALSE(c.closed());
}

// SB 81: a closing channel with a waiting receiver can still be sent to,
// and is closed afterwards; with a receiver waiting, iteration ends at once.
TEST_F(ChannelTest, G81_ClosingChannelWithAWaitingReceiver) {
  std::string got;
  channel<std::string> c;
  tasklet r{[&] { got = c.receive(); }};
  r();
  r.run();
  c.close();
  EXPECT_FALSE(c.closed());
  c.send("late");
  EXPECT_EQ(got, "late");
  EXPECT_TRUE(c.closed());

  c.open();
  tasklet r2{[&] { got = c.receive(); }};
  r2();
  r2.run();
  c.close();
  ASSERT_EQ(c.balance(), -1);
  int steps = 0;
  for (const std::string& v : c) {
    (void)v;
    ++steps;
  }
  EXPECT_EQ(steps, 0);
  EXPECT_EQ(c.balance(), -1);
  EXPECT_TRUE(r2.blocked());
  r2.kill();
  EXPECT_TRUE(c.closed());
}

// SB 82: send_sequence, then stop_iteration, then close(); the receiver's
// range-for gets 0..9; send_sequence returns 10; the channel ends closed.
TEST_F(ChannelTest, G82_SendSequenceThenStopIterationEndsTheLoop) {
  channel<int> c;
  std::size_t count = 0;
  tasklet s{[&] {
    std::vector<int> values;
    for (int i = 0; i < 10; ++i) values.push_back(i);
    count = c.send_sequence(values);
    c.send_exception<stop_iteration>();
    c.close();
  }};
  s();
  std::vector<int> got;
  for (int v : c) got.push_back(v);
  run();
  EXPECT_EQ(got, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  EXPECT_EQ(count, 10u);
  EXPECT_TRUE(c.closed());
  EXPECT_FALSE(s.alive());
}

// SB 83: the sender closes after its data and pumps sends while the
// channel is closing and not closed; the receiver's loop ends when it is.
TEST_F(ChannelTest, G83_PumpingAClosingChannelUntilClosed) {
  channel<int> c;
  std::size_t count = 0;
  int pumped = 0;
  tasklet s{[&] {
    count = c.send_sequence(std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
    c.close();
    while (c.closing() && !c.closed()) {
      c.send(-1);
      ++pumped;
    }
  }};
  s();
  std::vector<int> got;
  for (int v : c) got.push_back(v);
  run();
  // After 9 the receiver waits again (balance -1) when the sender closes:
  // one pump wakes it, and then the loop sees closing with balance 0.
  EXPECT_EQ(got, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, -1}));
  EXPECT_EQ(pumped, 1);
  EXPECT_EQ(count, 10u);
  EXPECT_TRUE(c.closed());
}

// moving_range: a range whose elements are moved out as it is walked.
template <class C>
struct moving_range {
  C& c;
  auto begin() { return std::make_move_iterator(c.begin()); }
  auto end() { return std::make_move_iterator(c.end()); }
};

// send_sequence takes any range, including one that yields move-only
// elements as rvalues.
TEST_F(ChannelTest, G82_SendSequenceOfMoveOnlyValues) {
  channel<std::unique_ptr<int>> c;
  std::vector<int> got;
  tasklet r{[&] {
    for (std::unique_ptr<int>& p : c) got.push_back(*p);
  }};
  r();
  std::vector<std::unique_ptr<int>> values;
  for (int i = 1; i <= 3; ++i) values.push_back(std::make_unique<int>(i));
  std::size_t sent = 0;
  tasklet s{[&] {
    sent = c.send_sequence(moving_range<decltype(values)>{values});
    c.send_exception<stop_iteration>();
  }};
  s();
  run();
  EXPECT_EQ(got, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(sent, 3u);
}

// --- H. Deadlock ---

// SB 84: main alone receives (or sends): deadlock_error; nothing changed.
TEST_F(ChannelTest, H84_MainAloneBlockingIsADeadlock) {
  channel<std::string> c;
  expect_error<deadlock_error>([&] { c.receive(); }, "Deadlock");
  EXPECT_EQ(c.balance(), 0);
  EXPECT_FALSE(c.queue());
  std::string s = "kept";
  expect_error<deadlock_error>([&] { c.send(std::move(s)); }, "Deadlock");
  EXPECT_EQ(s, "kept") << "a failed send keeps the caller's value";
  EXPECT_EQ(c.balance(), 0);
  EXPECT_FALSE(c.queue());
  EXPECT_TRUE(current().is_main());
  EXPECT_FALSE(main_tasklet().blocked());
  EXPECT_EQ(run_count(), 1u);
}

// SB 85: a tasklet ends while main waits on a channel nobody else can
// use: main is woken with deadlock_error "receiving" / "sending".
TEST_F(ChannelTest, H85_TaskletEndsWhileMainWaits) {
  trace log;
  channel<std::string> c;
  tasklet{[&] { log.push_back("t"); }}();
  expect_error<deadlock_error>([&] { c.receive(); }, "receiving");
  EXPECT_EQ(c.balance(), 0);
  EXPECT_FALSE(main_tasklet().blocked());

  tasklet{[&] { log.push_back("u"); }}();
  std::string s = "kept";
  expect_error<deadlock_error>([&] { c.send(std::move(s)); }, "sending");
  EXPECT_EQ(s, "kept") << "a failed send keeps the caller's value";
  EXPECT_EQ(c.balance(), 0);
  EXPECT_FALSE(c.queue());
  EXPECT_EQ(log, (trace{"t", "u"}));
  EXPECT_TRUE(current().is_main());
  EXPECT_EQ(run_count(), 1u);
}

// SB 86: main waits on mc; a tasklet blocks on a fresh channel and gets
// the deadlock itself, catches it, and wakes main.
TEST_F(ChannelTest, H86_TaskletBlockingWhileMainWaitsGetsTheDeadlock) {
  trace log;
  channel<std::string> mc;
  tasklet t{[&] {
    log.push_back("t0");
    channel<int> fresh;
    try {
      fresh.receive();
      log.push_back("t:received");
    } catch (const deadlock_error& e) {
      log.push_back(std::string("t:") + e.what());
      log.push_back(fresh.balance() == 0 ? "t:balance 0" : "t:balance !0");
    }
    mc.send("wake");
    log.push_back("t:end");
  }};
  t();
  log.push_back("main:" + mc.receive());
  run();
  ASSERT_EQ(log.size(), 5u);
  EXPECT_EQ(log[0], "t0");
  EXPECT_NE(log[1].find("Deadlock"), std::string::npos) << log[1];
  EXPECT_EQ(log[2], "t:balance 0");
  EXPECT_EQ(log[3], "main:wake");
  EXPECT_EQ(log[4], "t:end");
}

// SB 87: the same, uncaught: the tasklet dies and main's receive raises
// the deadlock.
TEST_F(ChannelTest, H87_UncaughtDeadlockInTaskletReachesMain) {
  channel<std::string> mc;
  tasklet t{[&] {
    channel<int> fresh;
    fresh.receive();
  }};
  t();
  expect_error<deadlock_error>([&] { mc.receive(); }, "Deadlock");
  EXPECT_FALSE(t.alive());
  EXPECT_EQ(mc.balance(), 0);
  EXPECT_FALSE(main_tasklet().blocked());
}

// SB 88: the only tasklet blocks under run(): run() returns std::nullopt
// and the tasklet stays blocked; killing it cleans up.
TEST_F(ChannelTest, H88_LoneTaskletBlockingUnderRunReturnsNullopt) {
  trace log;
  channel<int> c;
  tasklet t{[&] {
    log.push_back("t0");
    try {
      c.receive();
      log.push_back("t:received");
    } catch (const tasklet_exit&) {
      log.push_back("t:exit");
      throw;
    }
  }};
  t();
  EXPECT_FALSE(run().has_value());
  log.push_back("main");
  EXPECT_TRUE(t.blocked());
  EXPECT_TRUE(t.alive());
  EXPECT_EQ(c.balance(), -1);
  EXPECT_EQ(c.queue(), t);
  EXPECT_EQ(run_count(), 1u);
  t.kill();
  EXPECT_EQ(log, (trace{"t0", "main", "t:exit"}));
  EXPECT_FALSE(t.alive());
  EXPECT_EQ(c.balance(), 0);
}

// SB 88 with send_exception (upstream quirk SB §7.7 not copied): the lone
// tasklet blocks in send_exception under run(): run() returns std::nullopt
// (API.md §3.2) and the tasklet stays blocked holding the exception, which
// the next receiver gets.
TEST_F(ChannelTest, H88_LoneTaskletBlockingInSendExceptionUnderRun) {
  trace log;
  channel<int> c;
  tasklet t{[&] {
    c.send_exception<std::out_of_range>("held");
    log.push_back("t:delivered");
  }};
  t();
  std::optional<tasklet> interrupted;
  EXPECT_NO_THROW(interrupted = run());
  EXPECT_FALSE(interrupted.has_value());
  EXPECT_TRUE(t.blocked());
  EXPECT_EQ(c.balance(), 1);
  expect_error<std::out_of_range>([&] { c.receive(); }, "held");
  EXPECT_EQ(c.balance(), 0);
  run();
  EXPECT_EQ(log, (trace{"t:delivered"}));
}

// SB 89 (channel form): a tasklet schedule_remove()s while main waits on
// chan: it gets the deadlock, then wakes main with a send.
TEST_F(ChannelTest, H89_ScheduleRemoveWhileMainWaitsIsADeadlock) {
  trace log;
  channel<std::string> chan;
  tasklet t{[&] {
    try {
      schedule_remove();
      log.push_back("t:returned");
    } catch (const deadlock_error& e) {
      log.push_back(std::string("t:") + e.what());
    }
    chan.send("x");
  }};
  t();
  log.push_back("main:" + chan.receive());
  run();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_NE(log[0].find("Deadlock"), std::string::npos) << log[0];
  EXPECT_EQ(log[1], "main:x");
  EXPECT_FALSE(t.alive());
}

// --- Blocked variants of the tasklet cases (groups B, C, D) ---

// SB 25: a blocked tasklet cannot be run, switched to, inserted or
// removed; nothing changes.
TEST_F(ChannelTest, B25_BlockedTaskletCannotRunOrBeRemoved) {
  channel<int> c;
  int got = 0;
  tasklet b{[&] { got = c.receive(); }};
  b();
  b.run();
  tasklet x{[] {}};
  x();
  const auto ring_before = ring();
  expect_error<error>([&] { b.run(); }, "You cannot run a blocked tasklet");
  expect_error<error>([&] { b.switch_to(); },
                      "You cannot run a blocked tasklet");
  expect_error<error>([&] { b.insert(); }, "You cannot run a blocked tasklet");
  expect_error<error>([&] { b.remove(); },
                      "You cannot remove a blocked tasklet.");
  EXPECT_EQ(ring(), ring_before);
  EXPECT_TRUE(b.blocked());
  EXPECT_EQ(c.balance(), -1);
  EXPECT_EQ(queue_ids(c), ids({b}));
  c.send(3);
  EXPECT_EQ(got, 3);
  run();
}

// SB 38: an exception thrown into a tasklet blocked on receive() is raised
// there, now; the tasklet runs to its end and the caller is next.
TEST_F(ChannelTest, C38_ThrowIntoABlockedReceiverRaisesInReceive) {
  trace log;
  channel<int> c;
  tasklet s{[&] {
    try {
      c.receive();
      log.push_back("received");
    } catch (const value_error& e) {
      log.push_back("caught " + std::to_string(e.a) + std::to_string(e.b) +
                    std::to_string(e.c));
    }
    log.push_back("end");
  }};
  s();
  s.run();
  ASSERT_TRUE(s.blocked());
  s.raise_exception<value_error>(1, 2, 3);
  log.push_back("main");
  EXPECT_EQ(log, (trace{"caught 123", "end", "main"}));
  EXPECT_FALSE(s.alive());
  EXPECT_EQ(c.balance(), 0);
  EXPECT_FALSE(c.queue());
}

// SB 38, pending: the blocked tasklet is unblocked and made runnable; the
// exception arrives when it runs.
TEST_F(ChannelTest, C38_PendingThrowIntoABlockedReceiver) {
  trace log;
  channel<int> c;
  tasklet s{[&] {
    try {
      c.receive();
      log.push_back("received");
    } catch (const std::out_of_range& e) {
      log.push_back(std::string("caught ") + e.what());
    }
  }};
  s();
  s.run();
  s.throw_exception(std::make_exception_ptr(std::out_of_range("late")), true);
  EXPECT_TRUE(s.alive());
  EXPECT_FALSE(s.blocked());
  EXPECT_TRUE(s.scheduled());
  EXPECT_EQ(c.balance(), 0);
  EXPECT_FALSE(c.queue());
  EXPECT_EQ(log, trace{});
  EXPECT_EQ(ring(), ids({main_tasklet(), s}));
  s.run();
  EXPECT_EQ(log, (trace{"caught late"}));
  EXPECT_FALSE(s.alive());
}

// SB 41: killing a blocked receiver B with X runnable: inside B, at
// tasklet_exit time, the runnables are [B, main, X]; afterwards balance 0,
// B dead, X has not run.
TEST_F(ChannelTest, C41_KillingABlockedReceiverRunsItNowCallerNext) {
  trace log;
  std::vector<std::uint64_t> ring_at_exit;
  channel<int> c;
  tasklet b{[&] {
    try {
      c.receive();
    } catch (const tasklet_exit&) {
      ring_at_exit = ring();
      throw;
    }
  }};
  b();
  b.run();
  tasklet x{[&] { log.push_back("x"); }};
  x();
  ASSERT_EQ(c.balance(), -1);
  b.kill();
  log.push_back("main");
  EXPECT_EQ(ring_at_exit, ids({b, main_tasklet(), x}));
  EXPECT_EQ(c.balance(), 0);
  EXPECT_FALSE(b.alive());
  EXPECT_EQ(log, (trace{"main"}));
  run();
  EXPECT_EQ(log, (trace{"main", "x"}));
}

// SB 42: kill(pending) of a blocked receiver: unblocked, scheduled at the
// tail, balance 0; tasklet_exit arrives at the next run().
TEST_F(ChannelTest, C42_PendingKillOfABlockedReceiver) {
  trace log;
  channel<int> c;
  tasklet b{[&] {
    try {
      c.receive();
    } catch (const tasklet_exit&) {
      log.push_back("b:exit");
      throw;
    }
  }};
  b();
  b.run();
  tasklet x{[&] { log.push_back("x"); }};
  x();
  b.kill(true);
  EXPECT_FALSE(b.blocked());
  EXPECT_TRUE(b.scheduled());
  EXPECT_TRUE(b.alive());
  EXPECT_EQ(c.balance(), 0);
  EXPECT_FALSE(c.queue());
  EXPECT_EQ(ring(), ids({main_tasklet(), x, b}));
  EXPECT_EQ(log, trace{});
  run();
  EXPECT_EQ(log, (trace{"x", "b:exit"}));
  EXPECT_FALSE(b.alive());
}

// SB 43: killing blocked waiters moves the balance toward 0, one at a time.
TEST_F(ChannelTest, C43_KillingWaitersMovesBalanceTowardZero) {
  channel<int> c;
  tasklet t{[&] { c.send(1); }};
  tasklet t2{[&] { c.send(2); }};
  t();
  t2();
  run();
  EXPECT_EQ(c.balance(), 2);
  t.kill();
  EXPECT_EQ(c.balance(), 1);
  EXPECT_EQ(queue_ids(c), ids({t2}));
  t2.kill();
  EXPECT_EQ(c.balance(), 0);
  EXPECT_FALSE(c.queue());

  tasklet r{[&] { c.receive(); }};
  tasklet r2{[&] { c.receive(); }};
  r();
  r2();
  run();
  EXPECT_EQ(c.balance(), -2);
  r.kill();
  EXPECT_EQ(c.balance(), -1);
  EXPECT_EQ(queue_ids(c), ids({r2}));
  r2.kill();
  EXPECT_EQ(c.balance(), 0);
  EXPECT_FALSE(c.queue());
}

// SB 43 with values: killing blocked senders destroys the values they
// were offering, once each; nobody receives them.
TEST_F(ChannelTest, C43_KillingBlockedSendersDestroysTheirValues) {
  const int live_before = counted::live;
  channel<counted> c;
  {
    tasklet t{[&] { c.send(counted("one")); }};
    tasklet t2{[&] { c.send(counted("two")); }};
    t();
    t2();
    run();
    EXPECT_EQ(c.balance(), 2);
    t.kill();
    t2.kill();
    EXPECT_EQ(c.balance(), 0);
  }
  EXPECT_EQ(counted::live, live_before);
  tasklet t3{[&] { c.send(counted("three")); }};
  t3();
  t3.run();
  EXPECT_EQ(c.receive().text, "three") << "the channel still works";
  run();
  EXPECT_EQ(counted::live, live_before);
}

// SB 41-42 with a value: a receiver killed after a sender handed it a value,
// before it ran to take it, unwinds; the value is destroyed, once, and the
// receiver's code after receive() never sees it.
TEST_F(ChannelTest, C42_KillingAReceiverThatWasHandedAValueDestroysIt) {
  const int live_before = counted::live;
  channel<counted> c;
  c.set_preference(0);  // the sender continues after the hand-off
  trace log;
  {
    tasklet r{[&] {
      try {
        log.push_back("got " + c.receive().text);
      } catch (const tasklet_exit&) {
        log.push_back("r:exit");
        throw;
      }
    }};
    tasklet s{[&] {
      c.send(counted("handed over"));
      log.push_back("sent, balance " + std::to_string(c.balance()) +
                    ", values " + std::to_string(counted::live - live_before));
      r.kill();
      log.push_back("s:after kill");
    }};
    r();
    s();
    run();
    EXPECT_FALSE(r.alive());
  }
  EXPECT_EQ(log,
            (trace{"sent, balance 0, values 1", "r:exit", "s:after kill"}));
  EXPECT_EQ(counted::live, live_before);
}

// SB 52: an uncaught error in a tasklet raises in main's blocked receive().
TEST_F(ChannelTest, D52_UncaughtErrorRaisesInMainsBlockedReceive) {
  channel<int> c;
  tasklet t{[] { throw std::domain_error("mumbai"); }};
  t();
  expect_error<std::domain_error>([&] { c.receive(); }, "mumbai");
  EXPECT_FALSE(t.alive());
  EXPECT_EQ(c.balance(), 0);
  EXPECT_FALSE(c.queue());
  EXPECT_FALSE(main_tasklet().blocked());
  EXPECT_EQ(run_count(), 1u);
}

// SB 59 (hard-switched): when a thread ends, a tasklet blocked on a channel
// is killed: its stack unwinds and its destructors run; a waiting sender's
// value is destroyed once; the channel, still held outside, has balance 0.
TEST_F(ChannelTest, D59_ThreadEndKillsBlockedTasklets) {
  trace log;  // written by the worker only; read after join()
  int receiver_destroyed = 0;
  int sender_destroyed = 0;
  std::optional<channel<counted>> receive_channel;
  std::optional<channel<counted>> send_channel;
  const int live_before = counted::live;
  std::thread worker([&] {
    channel<counted> cr;
    channel<counted> cs;
    tasklet r{[&] {
      destructor_counter d{&receiver_destroyed};
      try {
        cr.receive();
        log.push_back("r:received");
      } catch (const tasklet_exit&) {
        log.push_back("r:unwinding");
        throw;
      }
    }};
    tasklet s{[&] {
      destructor_counter d{&sender_destroyed};
      try {
        cs.send(counted("payload"));
        log.push_back("s:sent");
      } catch (const tasklet_exit&) {
        log.push_back("s:unwinding");
        throw;
      }
    }};
    r();
    s();
    EXPECT_FALSE(run().has_value());
    EXPECT_TRUE(r.blocked());
    EXPECT_TRUE(s.blocked());
    EXPECT_EQ(cr.balance(), -1);
    EXPECT_EQ(cs.balance(), 1);
    receive_channel = cr;
    send_channel = cs;
  });
  worker.join();
  EXPECT_EQ(receiver_destroyed, 1);
  EXPECT_EQ(sender_destroyed, 1);
  // The order of the kills is not specified (SB §2.3 "unpredictable").
  EXPECT_EQ(log.size(), 2u);
  EXPECT_NE(std::find(log.begin(), log.end(), "r:unwinding"), log.end());
  EXPECT_NE(std::find(log.begin(), log.end(), "s:unwinding"), log.end());
  ASSERT_TRUE(receive_channel && send_channel);
  EXPECT_EQ(receive_channel->balance(), 0);
  EXPECT_EQ(send_channel->balance(), 0);
  EXPECT_FALSE(receive_channel->queue());
  EXPECT_FALSE(send_channel->queue());
  receive_channel.reset();
  send_channel.reset();
  EXPECT_EQ(counted::live, live_before) << "the waiting value was destroyed";
}

// SB 59 / API.md §3.4: the channels live only inside the thread, held by
// the tasklets (captured by value): at thread end the blocked tasklets are
// killed and unwound, and the last handles go with their functions.
TEST_F(ChannelTest, D59_ThreadEndWithChannelsHeldOnlyByTheTasklets) {
  int destroyed = 0;
  int resumed = 0;
  std::thread worker([&] {
    channel<std::string> c;
    for (int i = 0; i < 2; ++i) {
      tasklet{[c, &destroyed, &resumed]() mutable {
        destructor_counter d{&destroyed};
        c.receive();
        ++resumed;
      }}();
    }
    EXPECT_FALSE(run().has_value());
    EXPECT_EQ(c.balance(), -2);
  });
  worker.join();
  EXPECT_EQ(destroyed, 2);
  EXPECT_EQ(resumed, 0);
}

// SB 59 / API.md §3.4, the everyday form: a channel local to the thread
// function, captured by reference. The thread function returns (the
// channel handle is gone) and then the thread ends: the blocked tasklets
// are killed, unwound, and their destructors run. Unwinding a receive()
// needs nothing from the channel, so this must be as safe as the form
// above (under AddressSanitizer: no use of freed channel state).
TEST_F(ChannelTest, D59_ThreadEndAfterTheThreadsChannelWasDestroyed) {
  int destroyed = 0;
  int resumed = 0;
  std::thread worker([&] {
    channel<std::string> c;
    tasklet{[&c, &destroyed, &resumed] {
      destructor_counter d{&destroyed};
      c.receive();
      ++resumed;
    }}();
    EXPECT_FALSE(run().has_value());
    EXPECT_EQ(c.balance(), -1);
  });
  worker.join();
  EXPECT_EQ(destroyed, 1);
  EXPECT_EQ(resumed, 0);
}

// --- API.md §4.1: values never travel through a suspended stack ---

// payload_size: 1 KiB to 64 KiB, derived from the seed.
std::size_t payload_size(unsigned seed) {
  return 1024 + (seed * 7919u) % (63u * 1024u);
}

char pattern_byte(unsigned seed, std::size_t i) {
  return static_cast<char>('a' + (seed * 31u + i * 7u) % 26u);
}

std::string make_text(unsigned seed) {
  std::string s(payload_size(seed), '\0');
  for (std::size_t i = 0; i < s.size(); ++i) s[i] = pattern_byte(seed, i);
  return s;
}

std::vector<int> make_ints(unsigned seed) {
  std::vector<int> v(payload_size(seed) / sizeof(int));
  for (std::size_t i = 0; i < v.size(); ++i) {
    v[i] = static_cast<int>(seed * 1000003u + i);
  }
  return v;
}

std::unique_ptr<std::vector<char>> make_bytes(unsigned seed) {
  auto p = std::make_unique<std::vector<char>>(payload_size(seed));
  for (std::size_t i = 0; i < p->size(); ++i) {
    (*p)[i] = pattern_byte(seed + 1, i);
  }
  return p;
}

// self_ref<N>: points into its own buffer; its move constructor re-aims the
// pointer, so a bytewise relocation (or a read through a stale address)
// leaves it inconsistent. self_ref<8> travels inline in the mailbox,
// self_ref<4096> on the heap.
template <std::size_t N>
struct self_ref {
  explicit self_ref(unsigned seed) {
    for (std::size_t i = 0; i < N; ++i) data[i] = pattern_byte(seed, i);
    cursor = data + seed % N;
  }
  self_ref(self_ref&& other) noexcept {
    std::memcpy(data, other.data, N);
    cursor = data + (other.cursor - other.data);
    other.cursor = nullptr;
  }
  self_ref(const self_ref&) = delete;
  self_ref& operator=(const self_ref&) = delete;
  self_ref& operator=(self_ref&&) = delete;
  ~self_ref() = default;
  [[nodiscard]] bool consistent(unsigned seed) const {
    if (cursor != data + seed % N) return false;
    for (std::size_t i = 0; i < N; ++i) {
      if (data[i] != pattern_byte(seed, i)) return false;
    }
    return true;
  }
  char data[N];
  char* cursor;
};

// keep: makes the compiler assume `p` is read and written.
inline void keep(void* p) { asm volatile("" : : "g"(p) : "memory"); }

// deep: `depth` nested frames, each holding 8 KiB of live locals filled
// with a pattern; calls fn() at the bottom and checks every frame on the
// way back. False if a frame was disturbed while its tasklet was away.
template <class F>
bool deep(unsigned depth, unsigned salt, F& fn) {
  unsigned char frame[8 * 1024];
  for (std::size_t i = 0; i < sizeof frame; ++i) {
    frame[i] = static_cast<unsigned char>(salt + depth * 13u + i);
  }
  keep(frame);
  bool ok = true;
  if (depth <= 1) {
    fn();
  } else {
    ok = deep(depth - 1, salt, fn);
  }
  keep(frame);
  for (std::size_t i = 0; i < sizeof frame; ++i) {
    if (frame[i] != static_cast<unsigned char>(salt + depth * 13u + i)) {
      ok = false;
    }
  }
  return ok;
}

struct pair_channels {
  channel<std::string> text;
  channel<std::vector<int>> ints;
  channel<std::unique_ptr<std::vector<char>>> bytes;
  channel<self_ref<8>> small;
  channel<self_ref<4096>> big;
};

constexpr std::size_t kPairs = 3;
constexpr unsigned kMessages = 10;  // each pair: two of each of the five kinds

// exchange: kPairs senders and kPairs receivers, at recursion depths of 2
// to 8 frames (16 to 64 KiB of live locals), pass kMessages values each
// over their own channels. Appends a line to `failures` for anything that
// arrived damaged; counts deliveries and the receptions at which the
// suspended partner's stack was verifiably copied away.
void exchange(int preference, bool schedule_all, bool senders_first,
              unsigned salt, std::vector<std::string>& failures,
              std::size_t& delivered, std::size_t& partner_evicted) {
  const std::string where = "pref " + std::to_string(preference) + " all " +
                            std::to_string(schedule_all) + " senders_first " +
                            std::to_string(senders_first) + ": ";
  std::vector<pair_channels> chans(kPairs);
  for (pair_channels& p : chans) {
    p.text.set_preference(preference);
    p.ints.set_preference(preference);
    p.bytes.set_preference(preference);
    p.small.set_preference(preference);
    p.big.set_preference(preference);
    p.text.set_schedule_all(schedule_all);
    p.ints.set_schedule_all(schedule_all);
    p.bytes.set_schedule_all(schedule_all);
    p.small.set_schedule_all(schedule_all);
    p.big.set_schedule_all(schedule_all);
  }
  const unsigned depths[kPairs] = {2, 5, 8};
  std::vector<tasklet> senders(kPairs);
  std::vector<tasklet> receivers(kPairs);
  for (std::size_t k = 0; k < kPairs; ++k) {
    const unsigned depth = depths[k];
    const unsigned rdepth = depths[kPairs - 1 - k];
    auto seed_of = [salt, k](unsigned j) {
      return salt * 1000u + static_cast<unsigned>(k) * 100u + j;
    };
    senders[k].bind([&, k, depth, seed_of] {
      auto send_all = [&] {
        for (unsigned j = 0; j < kMessages; ++j) {
          const unsigned seed = seed_of(j);
          switch (j % 5) {
            case 0:
              chans[k].text.send(make_text(seed));
              break;
            case 1:
              chans[k].ints.send(make_ints(seed));
              break;
            case 2:
              chans[k].bytes.send(make_bytes(seed));
              break;
            case 3:
              chans[k].small.send(self_ref<8>(seed));
              break;
            default:
              chans[k].big.send(self_ref<4096>(seed));
              break;
          }
        }
      };
      if (!deep(depth, salt + 1u + static_cast<unsigned>(k), send_all)) {
        failures.push_back(where + "sender " + std::to_string(k) +
                           ": its own frames changed");
      }
    });
    receivers[k].bind([&, k, rdepth, seed_of] {
      auto receive_all = [&] {
        for (unsigned j = 0; j < kMessages; ++j) {
          const unsigned seed = seed_of(j);
          bool ok = false;
          switch (j % 5) {
            case 0:
              ok = chans[k].text.receive() == make_text(seed);
              break;
            case 1:
              ok = chans[k].ints.receive() == make_ints(seed);
              break;
            case 2: {
              std::unique_ptr<std::vector<char>> p = chans[k].bytes.receive();
              ok = p != nullptr && *p == *make_bytes(seed);
              break;
            }
            case 3:
              ok = chans[k].small.receive().consistent(seed);
              break;
            default:
              ok = chans[k].big.receive().consistent(seed);
              break;
          }
          ++delivered;
          if (!ok) {
            failures.push_back(where + "pair " + std::to_string(k) +
                               " message " + std::to_string(j) + " damaged");
          }
          // The sender is suspended while this receiver runs on the only
          // execution stack: its frames must be on the heap.
          const tasklet& sender = senders[k];
          if (sender.alive()) {
            if (sender.stack_bytes() >=
                static_cast<std::size_t>(depths[k]) * 8 * 1024) {
              ++partner_evicted;
            } else {
              failures.push_back(where + "pair " + std::to_string(k) +
                                 ": the suspended sender holds only " +
                                 std::to_string(sender.stack_bytes()) +
                                 " bytes on the heap");
            }
          }
        }
      };
      if (!deep(rdepth, salt + 7u + static_cast<unsigned>(k), receive_all)) {
        failures.push_back(where + "receiver " + std::to_string(k) +
                           ": its own frames changed");
      }
    });
  }
  for (std::size_t k = 0; k < kPairs; ++k) {
    if (senders_first) {
      senders[k].setup();
    } else {
      receivers[k].setup();
    }
  }
  for (std::size_t k = 0; k < kPairs; ++k) {
    if (senders_first) {
      receivers[k].setup();
    } else {
      senders[k].setup();
    }
  }
  EXPECT_FALSE(run().has_value()) << where;
  for (std::size_t k = 0; k < kPairs; ++k) {
    if (senders[k].alive() || receivers[k].alive()) {
      failures.push_back(where + "pair " + std::to_string(k) + " unfinished");
    }
    if (chans[k].text.balance() != 0 || chans[k].big.balance() != 0) {
      failures.push_back(where + "pair " + std::to_string(k) +
                         " channel balance not 0");
    }
  }
}

// API.md §4.1: on a thread with a single execution stack, every switch
// copies slices; values of 1-64 KiB (string, vector, move-only buffer) and
// values with a non-trivial move arrive intact between deep tasklets, in
// every preference / schedule_all combination, with the senders or the
// receivers blocked first.
TEST_F(ChannelTest, Values_NeverTravelThroughASuspendedStack) {
  std::vector<std::string> failures;  // written by the worker only
  std::size_t delivered = 0;
  std::size_t partner_evicted = 0;
  std::thread worker([&] {
    config cfg;
    cfg.stack_count = 1;
    configure(cfg);
    unsigned salt = 1;
    for (bool senders_first : {true, false}) {
      for (int preference : {-1, 0, 1}) {
        for (bool schedule_all : {false, true}) {
          exchange(preference, schedule_all, senders_first, salt++, failures,
                   delivered, partner_evicted);
        }
      }
    }
    EXPECT_EQ(run_count(), 1u);
  });
  worker.join();
  std::string report;
  for (std::size_t i = 0; i < failures.size() && i < 10; ++i) {
    report += failures[i] + "\n";
  }
  EXPECT_TRUE(failures.empty()) << failures.size() << " failures:\n" << report;
  EXPECT_EQ(delivered, 12u * kPairs * kMessages);
  EXPECT_GT(partner_evicted, 0u);
}

// API.md §4.1, by hand: a sender blocks deep in its stack holding a value
// whose move is non-trivial; another tasklet overwrites the only execution
// stack; then main receives: the value must come from off-stack storage.
TEST_F(ChannelTest, Values_SelfReferentialValueOfABlockedSenderStaysIntact) {
  bool small_ok = false;
  bool big_ok = false;
  bool frames_ok = false;
  std::size_t sender_heap_bytes = 0;
  std::thread worker([&] {
    config cfg;
    cfg.stack_count = 1;
    configure(cfg);
    channel<self_ref<8>> small;
    channel<self_ref<4096>> big;
    tasklet s{[&] {
      auto body = [&] {
        small.send(self_ref<8>(77));
        big.send(self_ref<4096>(78));
      };
      frames_ok = deep(4, 5, body);
    }};
    tasklet scribbler{[&] {
      auto nothing = [] {};
      deep(8, 9, nothing);  // overwrites the stack s was suspended on
    }};
    s();
    s.run();  // s blocks on small
    scribbler();
    run();
    sender_heap_bytes = s.stack_bytes();
    small_ok = small.receive().consistent(77);  // main continues (pref -1)
    run();                                      // s blocks on big
    big_ok = big.receive().consistent(78);
    run();
  });
  worker.join();
  EXPECT_GE(sender_heap_bytes, 4u * 8 * 1024);
  EXPECT_TRUE(small_ok);
  EXPECT_TRUE(big_ok);
  EXPECT_TRUE(frames_ok);
}

// plain_bytes: N bytes, trivially copyable and default constructible: a
// plain value (value_ops::plain_size), which the core copies itself.
template <std::size_t N>
struct plain_bytes {
  unsigned char b[N];
};
static_assert(detail::value_ops_for<plain_bytes<1>>::plain);
static_assert(detail::value_ops_for<plain_bytes<16>>::plain);
static_assert(!detail::value_ops_for<plain_bytes<17>>::plain);
static_assert(!detail::value_ops_for<std::string>::plain);

// A trivially copyable value without a default constructor is not plain:
// it travels through std::optional, as before.
struct no_default {
  explicit no_default(int v) : value(v) {}
  int value;
};
static_assert(!detail::value_ops_for<no_default>::plain);

// plain_round: one value of N bytes each way between main and a tasklet
// for each preference: the partner waits first in one direction and
// arrives second in the other, so every path of the hand-off copies it
// (the caller continuing, or switching to the partner). Returns what went
// wrong, if anything.
template <std::size_t N>
std::vector<std::string> plain_round() {
  std::vector<std::string> failures;
  auto make = [](unsigned salt) {
    plain_bytes<N> v;
    for (std::size_t i = 0; i < N; ++i) {
      v.b[i] = static_cast<unsigned char>(salt * 31 + i + 1);
    }
    return v;
  };
  auto same = [](const plain_bytes<N>& a, const plain_bytes<N>& b) {
    return std::memcmp(a.b, b.b, N) == 0;
  };
  for (int preference : {-1, 0, 1}) {
    channel<plain_bytes<N>> to_tasklet;
    channel<plain_bytes<N>> to_main;
    to_tasklet.set_preference(preference);
    to_main.set_preference(preference);
    plain_bytes<N> got_by_tasklet{};
    tasklet t{[&] {
      got_by_tasklet = to_tasklet.receive();  // waits: main sends to it
      to_main.send(make(2));                  // waits: main receives
    }};
    t();
    run();  // t waits in receive
    to_tasklet.send(make(1));
    run();  // t waits in send
    const plain_bytes<N> got_by_main = to_main.receive();
    run();
    const std::string where = std::to_string(N) + " bytes, preference " +
                              std::to_string(preference) + ": ";
    if (!same(got_by_tasklet, make(1))) failures.push_back(where + "send");
    if (!same(got_by_main, make(2))) failures.push_back(where + "receive");
    if (t.alive()) failures.push_back(where + "the tasklet did not finish");
  }
  return failures;
}

template <std::size_t... N>
std::vector<std::string> plain_rounds(std::index_sequence<N...>) {
  std::vector<std::string> failures;
  for (auto&& f : {plain_round<N + 1>()...}) {
    failures.insert(failures.end(), f.begin(), f.end());
  }
  return failures;
}

// Plain values of every size from 1 to 16 bytes arrive byte for byte, in
// both directions and for every preference (under ASan, a copy past the
// value's end would be an error too).
TEST_F(ChannelTest, Values_PlainValuesOfEverySizeArriveByteForByte) {
  const std::vector<std::string> failures =
      plain_rounds(std::make_index_sequence<16>());
  std::string report;
  for (const std::string& f : failures) report += f + "\n";
  EXPECT_TRUE(failures.empty()) << report;
}

// A value that is not plain but trivially copyable still arrives.
TEST_F(ChannelTest, Values_TriviallyCopyableWithoutDefaultConstructor) {
  channel<no_default> ch;
  int got = 0;
  tasklet t{[&] { got = ch.receive().value; }};
  t();
  run();
  ch.send(no_default(41));
  run();
  EXPECT_EQ(got, 41);
  EXPECT_FALSE(t.alive());
}

// --- Misuse: a failed operation changes nothing (API.md §1, §4.2) ---

// channel_state_of: everything about a channel a failed operation must
// leave as it was.
struct channel_snapshot {
  int balance;
  std::vector<std::uint64_t> queue;
  int preference;
  bool schedule_all;
  bool closing;
  std::vector<std::uint64_t> runnables;
  bool operator==(const channel_snapshot& o) const {
    return balance == o.balance && queue == o.queue &&
           preference == o.preference && schedule_all == o.schedule_all &&
           closing == o.closing && runnables == o.runnables;
  }
};

template <class T>
channel_snapshot snapshot(const channel<T>& c) {
  return {c.balance(),      queue_ids(c), c.preference(),
          c.schedule_all(), c.closing(),  ring()};
}

// A send that would block on a closing channel (senders waiting) and a
// receive that would block (receivers waiting): channel_closed_error,
// nothing changed, the sender's value kept.
TEST_F(ChannelTest, Misuse_WouldBlockOnClosingChannelChangesNothing) {
  for (int preference : {-1, 0, 1}) {
    for (bool schedule_all : {false, true}) {
      SCOPED_TRACE("preference " + std::to_string(preference) +
                   " schedule_all " + std::to_string(schedule_all));
      trace log;
      channel<std::string> c;
      c.set_preference(preference);
      c.set_schedule_all(schedule_all);
      tasklet s1{[&] { c.send("one"); }};
      tasklet s2{[&] { c.send("two"); }};
      s1();
      s1.run();
      s2();
      s2.run();
      tasklet x{[&] { log.push_back("x"); }};
      x();
      c.close();
      const channel_snapshot before = snapshot(c);
      ASSERT_EQ(before.balance, 2);
      std::string value = "mine";
      expect_error<channel_closed_error>([&] { c.send(std::move(value)); },
                                         "closed channel");
      EXPECT_EQ(value, "mine");
      EXPECT_TRUE(snapshot(c) == before);
      expect_error<channel_closed_error>([&] { c.send(value); },
                                         "closed channel");
      EXPECT_TRUE(snapshot(c) == before);
      s1.kill();
      s2.kill();

      tasklet r1{[&] { c.receive(); }};
      tasklet r2{[&] { c.receive(); }};
      c.open();
      r1();
      r1.run();
      r2();
      r2.run();
      c.close();
      const channel_snapshot before_r = snapshot(c);
      ASSERT_EQ(before_r.balance, -2);
      expect_error<channel_closed_error>([&] { c.receive(); },
                                         "closed channel");
      EXPECT_TRUE(snapshot(c) == before_r);
      r1.kill();
      r2.kill();
      EXPECT_EQ(log, trace{}) << "x did not run";
      run();
      EXPECT_EQ(log, (trace{"x"}));
    }
  }
}

// block_trap is checked before closing: block_trap_error, nothing changed.
TEST_F(ChannelTest, Misuse_BlockTrapIsCheckedBeforeClosing) {
  block_trap_reset reset;
  channel<std::string> c;
  tasklet s1{[&] { c.send("one"); }};
  s1();
  s1.run();
  tasklet x{[] {}};
  x();
  c.set_preference(1);
  c.close();
  const channel_snapshot before = snapshot(c);
  current().set_block_trap(true);
  std::string value = "mine";
  expect_error<block_trap_error>([&] { c.send(std::move(value)); },
                                 "does not like to be blocked");
  EXPECT_EQ(value, "mine");
  EXPECT_TRUE(snapshot(c) == before);
  channel<int> empty;
  empty.close();
  expect_error<block_trap_error>([&] { empty.receive(); },
                                 "does not like to be blocked");
  expect_error<block_trap_error>([&] { empty.send(1); },
                                 "does not like to be blocked");
  current().set_block_trap(false);
  EXPECT_EQ(c.receive(), "one") << "completing at once is still allowed";
  s1.kill();
  run();
}

// A channel operation inside the channel callback: slp::error "recursive
// channel call". Caught in the callback, the outer operation goes on; let
// through, the outer operation fails and nothing changed.
TEST_F(ChannelTest, Misuse_ChannelOperationInsideTheChannelCallback) {
  std::vector<std::string> inner_errors;
  std::string got;
  channel<std::string> c;
  channel<int> other;
  tasklet r{[&] { got = c.receive(); }};
  r();
  r.run();
  tasklet x{[] {}};
  x();
  hooks_reset reset;
  set_channel_callback([&](const channel_ref&, const tasklet&, bool, bool) {
    try {
      other.send(1);
    } catch (const error& e) {
      inner_errors.push_back(e.what());
    }
    try {
      c.receive();
    } catch (const error& e) {
      inner_errors.push_back(e.what());
    }
  });
  c.send("through");
  set_channel_callback(nullptr);
  EXPECT_EQ(got, "through");
  ASSERT_EQ(inner_errors.size(), 2u);
  for (const std::string& m : inner_errors) {
    EXPECT_NE(m.find("recursive channel call"), std::string::npos) << m;
  }
  EXPECT_EQ(other.balance(), 0);

  tasklet r2{[&] { got = c.receive(); }};
  r2();
  r2.run();
  c.set_preference(1);
  c.set_schedule_all(true);
  const channel_snapshot before = snapshot(c);
  set_channel_callback(
      [&](const channel_ref&, const tasklet&, bool, bool) { other.send(2); });
  std::string value = "mine";
  expect_error<error>([&] { c.send(std::move(value)); },
                      "recursive channel call");
  set_channel_callback(nullptr);
  EXPECT_EQ(value, "mine");
  EXPECT_TRUE(snapshot(c) == before);
  EXPECT_TRUE(r2.blocked());
  EXPECT_EQ(other.balance(), 0);
  r2.kill();
  run();
}

// An exception from the channel callback leaves the channel operation
// before anything changed.
TEST_F(ChannelTest, Misuse_ChannelCallbackExceptionChangesNothing) {
  std::string got;
  channel<std::string> c;
  tasklet r{[&] { got = c.receive(); }};
  r();
  r.run();
  tasklet x{[] {}};
  x();
  const channel_snapshot before = snapshot(c);
  hooks_reset reset;
  set_channel_callback([](const channel_ref&, const tasklet&, bool, bool) {
    throw std::logic_error("callback says no");
  });
  std::string value = "mine";
  expect_error<std::logic_error>([&] { c.send(std::move(value)); },
                                 "callback says no");
  EXPECT_EQ(value, "mine");
  EXPECT_TRUE(snapshot(c) == before);
  EXPECT_TRUE(r.blocked());
  expect_error<std::logic_error>([&] { c.receive(); }, "callback says no");
  EXPECT_TRUE(snapshot(c) == before);
  set_channel_callback(nullptr);
  c.send("after");
  EXPECT_EQ(got, "after");
  run();
}

// switch_trap refuses a hand-off that would switch; the value stays with
// the sender and the receiver stays blocked (SB 100, channel part).
TEST_F(ChannelTest, Misuse_SwitchTrapRefusesAHandOffThatSwitches) {
  std::string got;
  channel<std::string> c;
  tasklet r{[&] { got = c.receive(); }};
  r();
  r.run();
  const channel_snapshot before = snapshot(c);
  switch_trap(1);
  std::string value = "mine";
  expect_error<switch_trap_error>([&] { c.send(std::move(value)); },
                                  "switch_trap");
  EXPECT_EQ(value, "mine");
  EXPECT_TRUE(snapshot(c) == before);
  c.set_preference(1);  // the sender continues: no switch, allowed
  EXPECT_NO_THROW(c.send(std::move(value)));
  switch_trap(-1);
  EXPECT_EQ(got, "");
  run();
  EXPECT_EQ(got, "mine");
}

// send_sequence moves the elements out of an rvalue range: move-only
// values work.
TEST_F(ChannelTest, G82_SendSequenceMovesFromAnRvalueRange) {
  channel<std::unique_ptr<int>> ch;
  std::vector<int> got;
  tasklet receiver{[&] {
    for (int i = 0; i < 3; ++i) got.push_back(*ch.receive());
  }};
  receiver();
  std::vector<std::unique_ptr<int>> values;
  for (int i = 1; i <= 3; ++i) values.push_back(std::make_unique<int>(i * 10));
  EXPECT_EQ(ch.send_sequence(std::move(values)), 3u);
  run();
  EXPECT_EQ(got, (std::vector<int>{10, 20, 30}));
}

}  // namespace
}  // namespace slp::test
