// SPDX-License-Identifier: MIT
// slp — a stack slice: the used part of a tasklet's execution stack,
// [saved sp, top), held on the heap while another tasklet occupies that
// stack.
//
// The buffer keeps only used bytes with bounded slack: it is reused while
// the slice fits and the waste stays under slack_limit(), so a steady
// ping-pong allocates nothing, and it is never grown by doubling.
//
// Example:
//   stack_slice s;
//   if (!s.save(sp, top - sp)) { /* out of memory: nothing changed */ }
//   ...
//   s.restore(sp);  // the same bytes, at the same addresses
#ifndef SLP_CORE_STACK_SLICE_HPP
#define SLP_CORE_STACK_SLICE_HPP

#include <cstddef>

namespace slp::core {

class stack_slice {
 public:
  stack_slice() noexcept = default;
  ~stack_slice();
  stack_slice(const stack_slice&) = delete;
  stack_slice& operator=(const stack_slice&) = delete;

  // save: copies [from, from + size) into the buffer. Returns false, with
  // the slice unchanged, when a larger buffer cannot be allocated.
  [[nodiscard]] bool save(const std::byte* from, std::size_t size) noexcept;
  // reserve: makes the buffer one that save() would copy `size` bytes into
  // without reallocating (its contents are lost). False, with the slice
  // unchanged, when it cannot be allocated. For an empty slice only.
  [[nodiscard]] bool reserve(std::size_t size) noexcept;
  // restore: copies the saved bytes to `to` and marks the slice empty; the
  // buffer is kept for the next save.
  void restore(std::byte* to) noexcept;
  // release: frees the buffer.
  void release() noexcept;

  // size: the bytes saved now (0 when the tasklet is resident).
  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  // capacity: the bytes allocated for the buffer.
  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
  [[nodiscard]] const std::byte* data() const noexcept { return data_; }

  // copy: how slices are copied both ways: the fastest way this processor
  // has (arch/copy.h).
  static void copy(std::byte* to, const std::byte* from,
                   std::size_t size) noexcept;
  // wide_moves: whether slp_swap_sliced may copy slices with wide moves
  // (arch/copy.h: x86-64 AVX, when this CPU and OS support it).
  [[nodiscard]] static bool wide_moves() noexcept;

  // slack_limit: the most unused bytes a buffer may keep for a slice of
  // `size` bytes before it is reallocated to fit.
  static constexpr std::size_t slack_limit(std::size_t size) noexcept {
    return 256 + size / 8;
  }
  // smallest_kept: the smallest size save() copies into the buffer it has
  // (capacity() is the largest): capacity - s <= 256 + s/8 holds from
  // s = d - d/9 on, with d = capacity - 256.
  [[nodiscard]] std::size_t smallest_kept() const noexcept {
    if (capacity_ <= 256) return 0;
    const std::size_t d = capacity_ - 256;
    return d - d / 9;
  }
  // The allocation granule of slice buffers.
  static constexpr std::size_t granule = 16;

  // allocate: how slice buffers are obtained (std::malloc); the fault
  // tests replace it to inject failures. Called only when a buffer grows.
  static void* (*allocate)(std::size_t bytes) noexcept;

 private:
  // The engine's assembly path (slp_swap_sliced) saves into the buffer and
  // sets the size itself.
  friend class stack_engine;

  std::byte* data_ = nullptr;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

}  // namespace slp::core

#endif  // SLP_CORE_STACK_SLICE_HPP
