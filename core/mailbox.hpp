// SPDX-License-Identifier: MIT
// slp — a tasklet's mailbox: where a channel value (or an exception) waits
// while its sender or receiver is parked. It lives in the tasklet object,
// never on a stack (API.md §4.1), and it knows what it holds: nothing, a
// value of one channel type (that type's value_ops), or an exception.
//
// Example:
//   partner.mail.put(ops, value);      // a sender hands its value over
//   self.mail.take(ops, out);          // the receiver, resumed, takes it
#ifndef SLP_CORE_MAILBOX_HPP
#define SLP_CORE_MAILBOX_HPP

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <new>
#include <utility>

#include "slp/internal/channel_detail.hpp"

namespace slp::core {

// exception_ops: the mailbox holds an exception to raise in the receiver,
// not a value (an object of its own, so that even a channel of
// std::exception_ptr is told apart).
inline constexpr detail::value_ops exception_ops =
    detail::value_ops_for<std::exception_ptr>::ops;

class mailbox {
 public:
  mailbox() = default;
  mailbox(const mailbox&) = delete;
  mailbox& operator=(const mailbox&) = delete;
  ~mailbox() { clear(); }

  [[nodiscard]] bool empty() const noexcept { return ops_ == nullptr; }
  // holds: a value of the channel type whose operations are `ops`.
  [[nodiscard]] bool holds(const detail::value_ops& ops) const noexcept {
    return ops_ == &ops;
  }
  [[nodiscard]] bool holds_exception() const noexcept {
    return ops_ == &exception_ops;
  }

  // put: the sender's `value` goes in (copied inline when the type is
  // plain; `plain_size` is ops.plain_size as the caller read it). Empty
  // before. If the value's constructor throws, it stays empty.
  void put(const detail::value_ops& ops, std::size_t plain_size, void* value) {
    if (plain_size != 0) {
      copy_plain(box_.bytes, value, plain_size);
    } else {
      ops.put(box_, value);
    }
    ops_ = &ops;
  }
  // take: the value comes out into the receiver's `out`; empty after.
  void take(const detail::value_ops& ops, std::size_t plain_size, void* out) {
    ops_ = nullptr;
    if (plain_size != 0) {
      copy_plain(out, box_.bytes, plain_size);
    } else {
      ops.take(box_, out);
    }
  }
  // restore: undoes put: the value goes back to the sender's `value`.
  void restore(const detail::value_ops& ops, void* value) noexcept {
    ops.restore(box_, value);
    ops_ = nullptr;
  }
  // untake: undoes take: the value in the receiver's `out` comes back.
  void untake(const detail::value_ops& ops, void* out) noexcept {
    ops.untake(box_, out);
    ops_ = &ops;
  }

  void put_exception(const std::exception_ptr& e) noexcept {
    ::new (static_cast<void*>(box_.bytes)) std::exception_ptr(e);
    ops_ = &exception_ops;
  }
  std::exception_ptr take_exception() noexcept {
    auto* e = std::launder(reinterpret_cast<std::exception_ptr*>(box_.bytes));
    std::exception_ptr taken = std::move(*e);
    e->~exception_ptr();
    ops_ = nullptr;
    return taken;
  }

  // clear: whatever it holds is destroyed.
  void clear() noexcept {
    if (ops_ != nullptr) ops_->destroy(box_);
    ops_ = nullptr;
  }

 private:
  // copy_plain: copies `n` bytes, 1 to 16, without a call: two copies of
  // 8, 4 or 1 bytes that overlap as much as `n` needs, and a middle byte.
  static void copy_plain(void* to, const void* from, std::size_t n) noexcept {
    auto* d = static_cast<unsigned char*>(to);
    const auto* s = static_cast<const unsigned char*>(from);
    if (n >= 8) {
      std::uint64_t head, tail;
      std::memcpy(&head, s, 8);
      std::memcpy(&tail, s + n - 8, 8);
      std::memcpy(d, &head, 8);
      std::memcpy(d + n - 8, &tail, 8);
    } else if (n >= 4) {
      std::uint32_t head, tail;
      std::memcpy(&head, s, 4);
      std::memcpy(&tail, s + n - 4, 4);
      std::memcpy(d, &head, 4);
      std::memcpy(d + n - 4, &tail, 4);
    } else {
      const unsigned char first = s[0], middle = s[n / 2], last = s[n - 1];
      d[0] = first;
      d[n / 2] = middle;
      d[n - 1] = last;
    }
  }

  detail::mailbox_storage box_{};
  const detail::value_ops* ops_ = nullptr;
};

}  // namespace slp::core

#endif  // SLP_CORE_MAILBOX_HPP
