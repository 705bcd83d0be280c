// SPDX-License-Identifier: MIT
// slp — the timer heap (core/timers.hpp).
#include "core/timers.hpp"

namespace slp::core {

void timer_heap::push(timer_node& node, clock::time_point deadline) {
  entries_.emplace_back();  // the only step that can throw
  node.deadline = deadline;
  node.sequence = next_sequence_++;
  sift_up(entries_.size() - 1, entry{deadline, node.sequence, &node});
}

void timer_heap::remove(timer_node& node) noexcept {
  const std::size_t i = node.index;
  node.index = timer_node::none;
  const entry last = entries_.back();
  entries_.pop_back();
  if (i == entries_.size()) return;  // it was the last entry
  // The last entry fills the hole, then moves whichever way it must.
  if (i > 0 && before(last, entries_[(i - 1) / 2])) {
    sift_up(i, last);
  } else {
    sift_down(i, last);
  }
}

void timer_heap::sift_up(std::size_t i, entry e) noexcept {
  while (i > 0) {
    const std::size_t parent = (i - 1) / 2;
    if (!before(e, entries_[parent])) break;
    place(i, entries_[parent]);
    i = parent;
  }
  place(i, e);
}

void timer_heap::sift_down(std::size_t i, entry e) noexcept {
  const std::size_t n = entries_.size();
  for (;;) {
    std::size_t child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && before(entries_[child + 1], entries_[child])) ++child;
    if (!before(entries_[child], e)) break;
    place(i, entries_[child]);
    i = child;
  }
  place(i, e);
}

}  // namespace slp::core
