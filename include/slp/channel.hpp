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
#include "slp/switch_entry.hpp"
#include "slp/tasklet.hpp"

namespace slp {

namespace core {
struct channel_state;
}

namespace detail {

// mailbox_storage: where a value waits, inside a tasklet object (never on a
// stack): values of up to 16 bytes and pointer alignment inline, others on
// the heap, through the same 16 bytes.
union mailbox_storage {
  static constexpr std::size_t inline_size = 16;
  alignas(void*) unsigned char bytes[inline_size];
  void* heap;
};

// value_ops: how a channel of T moves values in and out of a mailbox.
// `value` points to a T; `out`, the receiver's, to a std::optional<T>, or to
// a T when plain_size is not 0.
struct value_ops {
  void (*put)(mailbox_storage& box, void* value);  // T into the box
  void (*take)(mailbox_storage& box, void* out);   // box into out
  void (*restore)(mailbox_storage& box, void* value) noexcept;  // undo put
  void (*untake)(mailbox_storage& box, void* out) noexcept;     // undo take
  void (*destroy)(mailbox_storage& box) noexcept;
  // plain_size: sizeof(T) for a T that is trivially copyable and default
  // constructible and fits inline: put and take copy its bytes and nothing
  // else (the core copies them itself, without a call); else 0.
  std::size_t plain_size;
};

template <class T>
struct value_ops_for {
  static constexpr bool fits_inline =
      sizeof(T) <= mailbox_storage::inline_size &&
      alignof(T) <= alignof(mailbox_storage) &&
      std::is_nothrow_move_constructible_v<T>;
  static constexpr bool plain = fits_inline &&
                                std::is_trivially_copyable_v<T> &&
                                std::is_trivially_default_constructible_v<T>;
  static T* at(mailbox_storage& box) noexcept {
    if constexpr (fits_inline) {
      return std::launder(reinterpret_cast<T*>(box.bytes));
    } else {
      return static_cast<T*>(box.heap);
    }
  }
  static void put(mailbox_storage& box, void* value) {
    T& v = *static_cast<T*>(value);
    if constexpr (fits_inline) {
      ::new (static_cast<void*>(box.bytes)) T(std::move(v));
    } else {
      box.heap = new T(std::move(v));
    }
  }
  static void destroy(mailbox_storage& box) noexcept {
    if constexpr (fits_inline) {
      at(box)->~T();
    } else {
      delete at(box);
    }
  }
  static void take(mailbox_storage& box, void* out) {
    if constexpr (plain) {
      std::memcpy(out, box.bytes, sizeof(T));
    } else {
      static_cast<std::optional<T>*>(out)->emplace(std::move(*at(box)));
      destroy(box);
    }
  }
  static void restore(mailbox_storage& box, void* value) noexcept {
    T& v = *static_cast<T*>(value);
    v.~T();
    ::new (static_cast<void*>(&v)) T(std::move(*at(box)));
    destroy(box);
  }
  static void untake(mailbox_storage& box, void* out) noexcept {
    if constexpr (plain) {
      std::memcpy(box.bytes, out, sizeof(T));
    } else {
      auto& o = *static_cast<std::optional<T>*>(out);
      put(box, &*o);
      o.reset();
    }
  }
  static constexpr value_ops ops{&put,    &take,    &restore,
                                 &untake, &destroy, plain ? sizeof(T) : 0};
};

// The untyped channel operations (core/channel.cpp). `value` points to the
// sender's T (moved from), `out` to the receiver's std::optional<T> (its T
// for a plain T: value_ops::plain_size); both
// are on the calling tasklet's own stack, used only while it runs.
void channel_send(core::channel_state& ch, const value_ops& ops, void* value,
                  const std::exception_ptr* exception)
    SLP_SWITCH_ENTRY(channel_send);
void channel_receive(core::channel_state& ch, const value_ops& ops, void* out)
    SLP_SWITCH_ENTRY(channel_receive);
// channel_receive_for: channel_receive() that gives up at `timeout`:
// false then, with the caller out of the queue (core/io.cpp, API.md §10).
bool channel_receive_for(core::channel_state& ch, const value_ops& ops,
                         void* out, std::chrono::nanoseconds timeout);
core::channel_state* channel_new();
core::channel_state* channel_add_ref(core::channel_state* ch) noexcept;
void channel_release(core::channel_state* ch) noexcept;

}  // namespace detail

// channel_ref: a non-template view of any channel, sharing ownership.
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

  friend bool operator==(const channel_ref& a, const channel_ref& b) noexcept {
    return a.state_ == b.state_;
  }
  friend bool operator!=(const channel_ref& a, const channel_ref& b) noexcept {
    return a.state_ != b.state_;
  }

  // (internal) adopts one reference to `state`.
  explicit channel_ref(core::channel_state* state) noexcept : state_(state) {}
  [[nodiscard]] core::channel_state* state() const noexcept { return state_; }

 protected:
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

  void set_preference(int preference) noexcept;
  void set_schedule_all(bool flag) noexcept;
  // close: marks the channel closing; wakes nobody. Only operations that
  // would then wait fail, with channel_closed_error.
  void close() noexcept;
  // open: clears closing.
  void open() noexcept;
  // queue: the first waiting tasklet; the others follow through next().
  [[nodiscard]] std::optional<tasklet> queue() const;

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
    explicit iterator(channel* ch) : channel_(ch) { advance(); }
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

namespace detail {
void channel_set_preference(core::channel_state& ch, int preference) noexcept;
void channel_set_schedule_all(core::channel_state& ch, bool flag) noexcept;
void channel_set_closing(core::channel_state& ch, bool closing) noexcept;
std::optional<tasklet> channel_queue(const core::channel_state& ch);
}  // namespace detail

template <class T>
void channel<T>::set_preference(int preference) noexcept {
  detail::channel_set_preference(*state_, preference);
}
template <class T>
void channel<T>::set_schedule_all(bool flag) noexcept {
  detail::channel_set_schedule_all(*state_, flag);
}
template <class T>
void channel<T>::close() noexcept {
  detail::channel_set_closing(*state_, true);
}
template <class T>
void channel<T>::open() noexcept {
  detail::channel_set_closing(*state_, false);
}
template <class T>
std::optional<tasklet> channel<T>::queue() const {
  return detail::channel_queue(*state_);
}

}  // namespace slp

#endif  // SLP_CHANNEL_HPP
