#include "core/channel_state.hpp"

#include "core/tasklet_impl.hpp"

namespace slp::core {

channel_state::channel_state() noexcept {
  static std::atomic<std::uint64_t> next_id{1};
  id = next_id.fetch_add(1, std::memory_order_relaxed);
}

void channel_state::append(tasklet_impl& t, int direction) noexcept {
  insert_after(t, tail, direction);
}

void channel_state::insert_after(tasklet_impl& t, tasklet_impl* after,
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
  balance.store(balance.load(std::memory_order_relaxed) + direction,
                std::memory_order_relaxed);
}

void channel_state::unlink(tasklet_impl& t) noexcept {
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
  t.next = nullptr;
  t.prev = nullptr;
}

}  // namespace slp::core
