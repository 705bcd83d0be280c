// SPDX-License-Identifier: MIT
// slp — channels: Stackless' rendezvous between tasklets.
//
// A send waits for a receiver and a receive for a sender; the partner that
// arrives second completes the hand-off, and `preference` / `schedule_all`
// decide who runs next (API.md §4.2). Values are moved into storage off
// every execution stack (the waiting tasklet's mailbox) and moved out by
// the receiver, so no value travels through a suspended stack.
//
// Example:
//   slp::channel<std::string> ch;
//   slp::tasklet{[ch]() mutable {
//     ch.send_sequence(std::vector<std::string>{"a", "b"});
//     ch.send_exception<slp::stop_iteration>();
//   }}();
//   for (const std::string& s : ch) std::puts(s.c_str());  // a, b
#ifndef SLP_CHANNEL_HPP
#define SLP_CHANNEL_HPP

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <iterator>
#include <new>
#include <optional>
#include <type_traits>
#include <utility>

#include "slp/errors.hpp"
#include "slp/internal/channel_detail.hpp"
#include "slp/tasklet.hpp"

namespace slp {

// channel_ref: a non-template view of any channel, sharing ownership: its
// queries and settings, without sending or receiving.
class channel_ref {
 public:
  channel_ref(const channel_ref& other) noexcept
      : state_(detail::channel_add_ref(other.state_)) {}
  channel_ref(channel_ref&& other) noexcept
      : state_(std::exchange(other.state_, nullptr)) {}
  channel_ref& operator=(channel_ref other) noexcept {
    std::swap(state_, other.state_);
    return *this;
  }
  ~channel_ref() { detail::channel_release(state_); }

  // id: unique in the process, never reused.
  [[nodiscard]] std::uint64_t id() const noexcept;
  // balance: waiting senders (> 0) or receivers (< 0).
  [[nodiscard]] int balance() const noexcept;
  // preference: -1 prefer the receiver, 0, +1 prefer the sender.
  [[nodiscard]] int preference() const noexcept;
  [[nodiscard]] bool schedule_all() const noexcept;
  [[nodiscard]] bool closing() const noexcept;
  // closed: closing() and nobody waiting.
  [[nodiscard]] bool closed() const noexcept;
  // queue: the first waiting tasklet; the others follow through next().
  [[nodiscard]] std::optional<tasklet> queue() const;

  // set_preference: keeps only the sign of `preference`.
  void set_preference(int preference) noexcept;
  // set_schedule_all: when set, both partners of a hand-off go to the tail
  // of the runnables and the next runnable runs.
  void set_schedule_all(bool flag) noexcept;
  // close: marks the channel closing; wakes nobody. Only operations that
  // would then wait fail, with channel_closed_error.
  void close() noexcept;
  // open: clears closing.
  void open() noexcept;

  friend bool operator==(const channel_ref& a, const channel_ref& b) noexcept {
    return a.state_ == b.state_;
  }
  friend bool operator!=(const channel_ref& a, const channel_ref& b) noexcept {
    return a.state_ != b.state_;
  }

 protected:
  friend struct core::handle_access;
  // channel_ref: adopts one reference to `state`.
  explicit channel_ref(core::channel_state* state) noexcept : state_(state) {}

  core::channel_state* state_;
};

template <class T>
class channel : public channel_ref {
 public:
  using value_type = T;

  // channel: a new, open channel with preference -1 and schedule_all off.
  channel() : channel_ref(detail::channel_new()) {}

  // send: hands `value` to a receiver, waiting for one if none waits.
  // channel_closed_error if it would wait on a closing channel,
  // block_trap_error if it would wait while the caller's block_trap is set,
  // deadlock_error if nobody could ever receive.
  void send(const T& value) {
    T copy(value);
    send(std::move(copy));
  }
  void send(T&& value) {
    detail::channel_send(*state_, detail::value_ops_for<T>::ops, &value,
                         nullptr);
  }

  // receive: takes a value from a sender, waiting for one if none waits;
  // throws what the sender sent with send_exception(). Errors as send().
  T receive() {
    if constexpr (detail::value_ops_for<T>::plain) {
      T out;  // written unless it throws
      detail::channel_receive(*state_, detail::value_ops_for<T>::ops, &out);
      return out;
    } else {
      std::optional<T> out;
      detail::channel_receive(*state_, detail::value_ops_for<T>::ops, &out);
      return std::move(*out);
    }
  }

  // receive_for: receive() that gives up after `timeout` (API.md §10):
  // std::nullopt, and the caller has left the channel's queue (the balance
  // is back where it was). The thread's other tasklets run meanwhile.
  std::optional<T> receive_for(std::chrono::nanoseconds timeout) {
    std::optional<T> out;
    if constexpr (detail::value_ops_for<T>::plain) {
      T value;  // written unless it throws or times out
      if (detail::channel_receive_for(*state_, detail::value_ops_for<T>::ops,
                                      &value, timeout)) {
        out.emplace(value);
      }
    } else if (!detail::channel_receive_for(
                   *state_, detail::value_ops_for<T>::ops, &out, timeout)) {
      out.reset();
    }
    return out;
  }

  // send_exception: the receiver throws `e` instead of getting a value.
  void send_exception(std::exception_ptr e) {
    if (!e)
      throw error("slp::channel::send_exception: the exception_ptr is empty");
    detail::channel_send(*state_, detail::value_ops_for<T>::ops, nullptr, &e);
  }
  template <class E, class... A>
  void send_exception(A&&... args) {
    send_exception(std::make_exception_ptr(E(std::forward<A>(args)...)));
  }

  // send_sequence: sends each element of `range` in turn (moved out of an
  // rvalue range, copied otherwise); returns the count.
  template <class Range>
  std::size_t send_sequence(Range&& range) {
    std::size_t count = 0;
    for (auto&& element : range) {
      if constexpr (std::is_lvalue_reference_v<Range>) {
        send(T(element));
      } else {
        send(T(std::move(element)));
      }
      ++count;
    }
    return count;
  }

  // Range-for: receives until the channel is closing with balance() <= 0,
  // or a stop_iteration arrives.
  class iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using pointer = T*;
    using reference = T&;

    iterator() = default;
    T& operator*() { return *value_; }
    T* operator->() { return &*value_; }
    iterator& operator++() {
      advance();
      return *this;
    }
    friend bool operator==(const iterator& a, const iterator& b) noexcept {
      return a.channel_ == b.channel_;
    }
    friend bool operator!=(const iterator& a, const iterator& b) noexcept {
      return a.channel_ != b.channel_;
    }

   private:
    friend class channel;
    explicit iterator(channel* ch) : channel_(ch) { advance(); }
    void advance() {
      if (channel_->closing() && channel_->balance() <= 0) {
        channel_ = nullptr;
        return;
      }
      try {
        value_.reset();
        value_.emplace(channel_->receive());
      } catch (const stop_iteration&) {
        channel_ = nullptr;
      }
    }
    channel* channel_ = nullptr;
    std::optional<T> value_;
  };
  iterator begin() { return iterator(this); }
  iterator end() { return iterator(); }
};

inline std::optional<tasklet> channel_ref::queue() const {
  return detail::channel_queue(*state_);
}
inline void channel_ref::set_preference(int preference) noexcept {
  detail::channel_set_preference(*state_, preference);
}
inline void channel_ref::set_schedule_all(bool flag) noexcept {
  detail::channel_set_schedule_all(*state_, flag);
}
inline void channel_ref::close() noexcept {
  detail::channel_set_closing(*state_, true);
}
inline void channel_ref::open() noexcept {
  detail::channel_set_closing(*state_, false);
}

}  // namespace slp

#endif  // SLP_CHANNEL_HPP
