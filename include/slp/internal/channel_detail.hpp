// SPDX-License-Identifier: MIT
// slp internals — the plumbing behind <slp/channel.hpp>: the mailbox a
// value waits in, how a channel of T moves values through it, and the
// untyped channel operations of core/. Not part of the API.
#ifndef SLP_INTERNAL_CHANNEL_DETAIL_HPP
#define SLP_INTERNAL_CHANNEL_DETAIL_HPP

#include <chrono>
#include <cstddef>
#include <cstring>
#include <exception>
#include <new>
#include <optional>
#include <type_traits>
#include <utility>

#include "slp/internal/switch_entry.hpp"
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
void channel_set_preference(core::channel_state& ch, int preference) noexcept;
void channel_set_schedule_all(core::channel_state& ch, bool flag) noexcept;
void channel_set_closing(core::channel_state& ch, bool closing) noexcept;
std::optional<tasklet> channel_queue(const core::channel_state& ch);

}  // namespace detail

}  // namespace slp

#endif  // SLP_INTERNAL_CHANNEL_DETAIL_HPP
