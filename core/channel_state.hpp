// slp — the state shared by every handle of one channel: its waiters (a
// FIFO linked through the tasklets' next/prev), balance and flags.
#ifndef SLP_CORE_CHANNEL_STATE_HPP
#define SLP_CORE_CHANNEL_STATE_HPP

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "core/spinlock.hpp"

namespace slp::core {

struct tasklet_impl;

struct channel_state {
  channel_state() noexcept;

  std::atomic<std::size_t> refs{1};
  std::uint64_t id;
  // Guards everything below when tasklets of several threads use the
  // channel; held only while the state changes, never across a switch.
  mutable spinlock lock;
  tasklet_impl* head = nullptr;  // first waiter
  tasklet_impl* tail = nullptr;  // last waiter
  // Written under `lock`; read anywhere (relaxed): a view may be stale.
  std::atomic<int> balance{0};  // > 0 senders wait, < 0 receivers wait
  std::atomic<int> preference{-1};
  std::atomic<bool> schedule_all{false};
  std::atomic<bool> closing{false};

  // append: t waits at the tail; balance moves by `direction` (+1 send).
  void append(tasklet_impl& t, int direction) noexcept;
  // insert_after: t waits right after `after` (at the head if null).
  void insert_after(tasklet_impl& t, tasklet_impl* after,
                    int direction) noexcept;
  // unlink: t stops waiting; balance moves back toward 0.
  void unlink(tasklet_impl& t) noexcept;
};

}  // namespace slp::core

#endif  // SLP_CORE_CHANNEL_STATE_HPP
