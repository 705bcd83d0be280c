// SPDX-License-Identifier: MIT
// slp — the state shared by every handle of one channel: its waiters (a
// FIFO linked through the tasklets' next/prev), balance and flags. A
// channel is a wait site (core/wait_site.hpp): its waiters are parked
// there with code +1 (sending) or -1 (receiving).
#ifndef SLP_CORE_CHANNEL_STATE_HPP
#define SLP_CORE_CHANNEL_STATE_HPP

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "core/channel_lock.hpp"
#include "core/tasklet_impl.hpp"
#include "core/wait_site.hpp"

namespace slp::core {

struct channel_state : wait_site {
  channel_state() noexcept;

  std::atomic<std::size_t> refs{1};
  std::uint64_t id;
  // Guards everything below when tasklets of several threads use the
  // channel; held only while the state changes, never across a switch.
  mutable channel_lock lock;
  tasklet_impl* head = nullptr;  // first waiter
  tasklet_impl* tail = nullptr;  // last waiter
  // Written under `lock`; read anywhere (relaxed): a view may be stale.
  std::atomic<int> balance{0};  // > 0 senders wait, < 0 receivers wait
  std::atomic<int> preference{-1};
  std::atomic<bool> schedule_all{false};
  std::atomic<bool> closing{false};

  // append: t waits at the tail; balance moves by `direction` (+1 send).
  void append(tasklet_impl& t, int direction) noexcept {
    insert_after(t, tail, direction);
  }
  // insert_after: t waits right after `after` (at the head if null).
  void insert_after(tasklet_impl& t, tasklet_impl* after,
                    int direction) noexcept {
    t.prev = after;
    t.next = after != nullptr ? after->next : head;
    if (t.next != nullptr) {
      t.next->prev = &t;
    } else {
      tail = &t;
    }
    if (after != nullptr) {
      after->next = &t;
    } else {
      head = &t;
    }
    t.blocked.store(static_cast<std::int8_t>(direction),
                    std::memory_order_relaxed);
    t.waiting_on.store(this, std::memory_order_relaxed);
    balance.store(balance.load(std::memory_order_relaxed) + direction,
                  std::memory_order_relaxed);
  }
  // unlink: t stops waiting; balance moves back toward 0.
  void unlink(tasklet_impl& t) noexcept {
    if (t.prev != nullptr) {
      t.prev->next = t.next;
    } else {
      head = t.next;
    }
    if (t.next != nullptr) {
      t.next->prev = t.prev;
    } else {
      tail = t.prev;
    }
    balance.store(balance.load(std::memory_order_relaxed) -
                      t.blocked.load(std::memory_order_relaxed),
                  std::memory_order_relaxed);
    t.blocked.store(0, std::memory_order_relaxed);
    t.waiting_on.store(nullptr, std::memory_order_relaxed);
    t.next = nullptr;
    t.prev = nullptr;
  }
};

}  // namespace slp::core

#endif  // SLP_CORE_CHANNEL_STATE_HPP
