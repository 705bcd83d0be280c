// SPDX-License-Identifier: MIT
// slp — one thread's timers: the deadlines its tasklets wait for
// (API.md §10), earliest first, with equal deadlines in the order they
// were set.
//
// A binary min-heap of (deadline, sequence) entries, each knowing its
// timer's position so that a timer can be taken out from anywhere in
// O(log n). A heap rather than a hierarchical timing wheel because slp's
// deadlines are exact std::chrono::steady_clock times and §10 wakes them
// in exact deadline order: a wheel rounds deadlines to its tick and orders
// a tick's timers only by insertion, so it would need a sort per tick to
// keep that order, and a tick finer than the 1 ms that §10 promises costs
// empty-slot sweeps while the thread is busy. The heap keeps its entries
// by value in one vector (24 bytes each, no allocation per timer once it
// has grown), and most timers are taken out near where they went in.
//
// Example:
//   timer_heap heap;
//   heap.push(node, deadline);       // node.index says where it is
//   if (heap.top()->deadline <= now) heap.remove(*heap.top());
#ifndef SLP_CORE_TIMERS_HPP
#define SLP_CORE_TIMERS_HPP

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace slp::core {

using clock = std::chrono::steady_clock;

// timer_node: one pending deadline; lives as long as its wait (the heap
// only points at it).
struct timer_node {
  static constexpr std::size_t none = ~std::size_t{0};
  clock::time_point deadline{};
  std::uint64_t sequence = 0;
  std::size_t index = none;  // position in the heap, or none
  [[nodiscard]] bool pending() const noexcept { return index != none; }
};

class timer_heap {
 public:
  [[nodiscard]] bool empty() const noexcept { return entries_.empty(); }
  [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }
  // top: the earliest timer (the heap is not empty).
  [[nodiscard]] timer_node* top() const noexcept { return entries_[0].node; }
  [[nodiscard]] clock::time_point next_deadline() const noexcept {
    return entries_[0].deadline;
  }
  // push: `node` (not pending) goes off at `deadline`, after every timer
  // already set for the same deadline. May throw bad_alloc (nothing
  // changed then).
  void push(timer_node& node, clock::time_point deadline);
  // remove: `node` (pending) is taken out.
  void remove(timer_node& node) noexcept;

 private:
  struct entry {
    clock::time_point deadline;
    std::uint64_t sequence;
    timer_node* node;
  };
  static bool before(const entry& a, const entry& b) noexcept {
    return a.deadline < b.deadline ||
           (a.deadline == b.deadline && a.sequence < b.sequence);
  }
  void place(std::size_t i, const entry& e) noexcept {
    entries_[i] = e;
    e.node->index = i;
  }
  void sift_up(std::size_t i, entry e) noexcept;
  void sift_down(std::size_t i, entry e) noexcept;

  std::vector<entry> entries_;
  std::uint64_t next_sequence_ = 0;
};

}  // namespace slp::core

#endif  // SLP_CORE_TIMERS_HPP
