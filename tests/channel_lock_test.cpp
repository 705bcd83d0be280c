// The channel lock's elision (core/channel_lock.hpp): the one thread that
// uses channels takes no lock; a second thread ends that for good, also
// while the first is in the middle of its channel operations; a thread
// whose scheduler ends hands the role on. Each test starts from the state of
// a fresh process (reset_for_tests), so that the order they run in, all in
// one process or one per process, does not matter. Where elision is not
// possible (ThreadSanitizer, no membarrier) the same traffic runs locked
// and the checks of the mode expect that.
#include "core/channel_lock.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "test_support.hpp"

namespace slp::test {
namespace {

class ChannelLockTest : public SlpTest {
 protected:
  void SetUp() override {
    SlpTest::SetUp();
    core::channel_lock::reset_for_tests();
  }
  void TearDown() override {
    EXPECT_FALSE(core::elision::inside.load()) << "a lock left held";
    SlpTest::TearDown();
  }
};

// pingpong: `rounds` values from one tasklet to another and back, on two
// channels of this thread; returns how many came back as sent, and sets
// `elided_inside` to what channel_lock::elided() said in the middle.
int pingpong(int rounds, bool* elided_inside) {
  channel<int> there;
  channel<int> back;
  int right = 0;
  tasklet echo{[&] {
    for (int i = 0; i < rounds; ++i) back.send(there.receive() * 2);
  }};
  tasklet driver{[&] {
    for (int i = 0; i < rounds; ++i) {
      there.send(i);
      if (back.receive() == i * 2) ++right;
      if (i == rounds / 2) *elided_inside = core::channel_lock::elided();
    }
  }};
  echo();
  driver();
  run();
  return right;
}

TEST_F(ChannelLockTest, TheOnlyThreadUsingChannelsTakesNoLock) {
  bool elided = false;
  EXPECT_EQ(pingpong(1000, &elided), 1000);
  EXPECT_EQ(elided, core::channel_lock::possible());
  EXPECT_EQ(core::elision::mode.load(), core::channel_lock::possible()
                                            ? core::elision::elided
                                            : core::elision::shared);
}

// Two tasklets of main pass values through a channel, its operations
// unlocked, when a second thread starts sending into the same channel (its
// first lock comes while main is likely inside that channel's critical
// section): that ends elision, main's sections drain first, and from then on
// both threads lock. Both streams arrive complete and in order, and the mode
// is shared afterwards.
TEST_F(ChannelLockTest, ASecondThreadEndsItWhileTheFirstIsBusy) {
  // Main's values count up from 0, the second thread's down from -2, and
  // -1 ends the consumer.
  constexpr int sent_across = 2000;
  channel<int> ch;
  std::atomic<bool> busy{false};
  bool done = false;
  bool elided_before = false;
  int local_in_order = 0;
  int across_in_order = 0;
  int out_of_order = 0;

  tasklet producer{[&] {
    for (int i = 0; !done; ++i) ch.send(i);
    ch.send(-1);
  }};
  tasklet consumer{[&] {
    int next_local = 0;
    for (;;) {
      const int v = ch.receive();
      if (v == -1) break;
      if (v < 0) {
        if (-2 - v == across_in_order) {
          ++across_in_order;
        } else {
          ++out_of_order;
        }
        if (across_in_order == sent_across) done = true;
      } else {
        if (v == next_local) {
          ++local_in_order;
        } else {
          ++out_of_order;
        }
        next_local = v + 1;
        if (v == 1000) {
          elided_before = core::channel_lock::elided();
          busy = true;  // the second thread may start now
        }
      }
    }
  }};
  std::thread second([&] {
    while (!busy) std::this_thread::yield();
    for (int i = 0; i < sent_across; ++i) ch.send(-2 - i);
  });
  producer();
  consumer();
  run_options wait_for_the_second;
  wait_for_the_second.threadblock = true;
  run(wait_for_the_second);
  second.join();

  EXPECT_EQ(elided_before, core::channel_lock::possible());
  EXPECT_EQ(across_in_order, sent_across);
  EXPECT_GT(local_in_order, 1000);
  EXPECT_EQ(out_of_order, 0);
  EXPECT_EQ(ch.balance(), 0);
  EXPECT_FALSE(core::channel_lock::elided());
  EXPECT_EQ(core::elision::mode.load(), core::elision::shared);
}

// A thread that used channels alone ends (its scheduler with it); the next
// thread to use channels, alone too, takes no lock either.
TEST_F(ChannelLockTest, AThreadThatEndsHandsTheRoleOn) {
  for (int round = 0; round < 3; ++round) {
    bool elided = false;
    int right = 0;
    std::thread([&] { right = pingpong(500, &elided); }).join();
    EXPECT_EQ(right, 500) << "round " << round;
    EXPECT_EQ(elided, core::channel_lock::possible()) << "round " << round;
  }
  EXPECT_EQ(core::elision::mode.load(), core::channel_lock::possible()
                                            ? core::elision::elided
                                            : core::elision::shared);
}

}  // namespace
}  // namespace slp::test
