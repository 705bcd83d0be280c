// SPDX-License-Identifier: MIT
// The channel lock's elision (core/channel_lock.hpp), channel by channel: a
// channel that only one thread uses takes no lock; a second thread ends
// that for that channel only, also while the first is in the middle of its
// operations on it; other channels, and other threads' channels, are not
// affected. Where elision is not possible (ThreadSanitizer, no membarrier)
// the same traffic runs locked and the checks expect that.
#include "core/channel_lock.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "core/channel_state.hpp"
#include "core/handle_access.hpp"
#include "test_support.hpp"

namespace slp::test {
namespace {

using ChannelLockTest = SlpTest;

core::channel_lock& lock_of(const channel_ref& ch) {
  return core::handle_access::state(ch)->lock;
}

// pingpong: `rounds` values from one tasklet to another and back, on the
// two channels given; returns how many came back as sent, and sets
// `elided_inside` to whether `there`'s lock was elided in the middle.
int pingpong(channel<int>& there, channel<int>& back, int rounds,
             bool* elided_inside) {
  int right = 0;
  tasklet echo{[&] {
    for (int i = 0; i < rounds; ++i) back.send(there.receive() * 2);
  }};
  tasklet driver{[&] {
    for (int i = 0; i < rounds; ++i) {
      there.send(i);
      if (back.receive() == i * 2) ++right;
      if (i == rounds / 2) *elided_inside = lock_of(there).elided();
    }
  }};
  echo();
  driver();
  run();
  return right;
}

TEST_F(ChannelLockTest, AChannelOnlyOneThreadUsesTakesNoLock) {
  channel<int> there;
  channel<int> back;
  bool elided = false;
  EXPECT_EQ(pingpong(there, back, 1000, &elided), 1000);
  EXPECT_EQ(elided, core::channel_lock::possible());
  EXPECT_EQ(lock_of(there).is_shared(), !core::channel_lock::possible());
  EXPECT_FALSE(lock_of(there).inside()) << "a lock left held";
}

// Two tasklets of main pass values through a channel, its operations
// unlocked, when a second thread starts sending into the same channel (its
// first lock comes while main is likely inside that channel's critical
// section): that ends elision on that channel, main's sections drain first,
// and from then on both threads lock it. Both streams arrive complete and
// in order; main's other channel still takes no lock.
TEST_F(ChannelLockTest, ASecondThreadEndsItWhileTheFirstIsBusy) {
  // Main's values count up from 0, the second thread's down from -2, and
  // -1 ends the consumer.
  constexpr int sent_across = 2000;
  channel<int> ch;
  channel<int> mine_alone;
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
          elided_before = lock_of(ch).elided();
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
  EXPECT_FALSE(lock_of(ch).elided());
  EXPECT_TRUE(lock_of(ch).is_shared());

  channel<int> back;
  bool elided = false;
  EXPECT_EQ(pingpong(mine_alone, back, 100, &elided), 100);
  EXPECT_EQ(elided, core::channel_lock::possible())
      << "another channel of the same thread";
}

// Two threads each ping-pong on channels of their own at the same time,
// while both have also used one channel between them: their own channels
// take no lock, the shared one does.
TEST_F(ChannelLockTest, OtherThreadsChannelsChangeNothing) {
  channel<int> between;
  (void)run_count();  // main's scheduler exists before the thread sends
  std::atomic<bool> started{false};
  bool elided_there = false;
  int right_there = 0;
  std::thread other([&] {
    (void)run_count();  // and the thread's before main receives
    started = true;
    between.send(7);
    channel<int> there;
    channel<int> back;
    right_there = pingpong(there, back, 2000, &elided_there);
  });
  while (!started) std::this_thread::yield();
  EXPECT_EQ(between.receive(), 7);
  channel<int> here;
  channel<int> back;
  bool elided_here = false;
  EXPECT_EQ(pingpong(here, back, 2000, &elided_here), 2000);
  other.join();
  EXPECT_EQ(right_there, 2000);
  EXPECT_EQ(elided_here, core::channel_lock::possible());
  EXPECT_EQ(elided_there, core::channel_lock::possible());
  EXPECT_TRUE(lock_of(between).is_shared());
  EXPECT_EQ(lock_of(here).is_shared(), !core::channel_lock::possible());
}

// A channel made in one thread and used only in another belongs to the
// thread that first locks it; a thread that ends leaves its channels to the
// next thread that uses them, which locks them from then on.
TEST_F(ChannelLockTest, TheFirstThreadToLockAChannelOwnsIt) {
  channel<int> there;
  channel<int> back;
  bool elided = false;
  int right = 0;
  std::thread([&] { right = pingpong(there, back, 500, &elided); }).join();
  EXPECT_EQ(right, 500);
  EXPECT_EQ(elided, core::channel_lock::possible());
  EXPECT_FALSE(lock_of(there).elided()) << "owned by the thread that ended";

  bool elided_after = true;
  EXPECT_EQ(pingpong(there, back, 500, &elided_after), 500);
  EXPECT_FALSE(elided_after);
  EXPECT_TRUE(lock_of(there).is_shared());
  EXPECT_FALSE(lock_of(there).inside());
}

}  // namespace
}  // namespace slp::test
