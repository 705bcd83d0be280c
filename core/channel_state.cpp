// SPDX-License-Identifier: MIT
// slp — a channel's state as a wait site: its identity, and the operations
// through which the scheduler wakes or puts back one of its waiters.
#include "core/channel_state.hpp"

#include <mutex>

namespace slp::core {

namespace {

bool cancel_wait(wait_site& site, tasklet_impl& t, wait_place* was) noexcept {
  auto& ch = static_cast<channel_state&>(site);
  std::lock_guard<channel_lock> lock(ch.lock);
  if (t.waiting_on.load(std::memory_order_relaxed) != &ch) return false;
  if (was != nullptr)
    *was = {t.prev, t.blocked.load(std::memory_order_relaxed)};
  ch.unlink(t);
  return true;
}

void put_back(wait_site& site, tasklet_impl& t, wait_place was) noexcept {
  auto& ch = static_cast<channel_state&>(site);
  std::lock_guard<channel_lock> lock(ch.lock);
  ch.insert_after(t, was.after, was.how);
}

constexpr wait_site_ops channel_site_ops{wait_kind::channel, &cancel_wait,
                                         &put_back};

}  // namespace

channel_state::channel_state() noexcept : wait_site(channel_site_ops) {
  static std::atomic<std::uint64_t> next_id{1};
  id = next_id.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace slp::core
