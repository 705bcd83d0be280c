// SPDX-License-Identifier: MIT
// slp internals — the plumbing behind <slp/tasklet.hpp>: how a tasklet's
// function and stored arguments are type-erased. Not part of the API.
#ifndef SLP_INTERNAL_TASKLET_DETAIL_HPP
#define SLP_INTERNAL_TASKLET_DETAIL_HPP

#include <cstddef>
#include <memory>
#include <new>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <utility>

namespace slp {

namespace core {
struct tasklet_impl;
// handle_access: the library's way to make handles from its objects and to
// see the objects behind them (core/handle_access.hpp); the handles'
// constructors from objects are private to it.
struct handle_access;
}  // namespace core

namespace detail {

// arguments: the stored arguments of setup(), a std::tuple of decayed types.
struct arguments {
  virtual ~arguments() = default;
  [[nodiscard]] virtual const std::type_info& type() const noexcept = 0;
  [[nodiscard]] virtual void* tuple() noexcept = 0;
};

template <class... A>
struct arguments_of final : arguments {
  explicit arguments_of(A&&... a) : values(std::move(a)...) {}
  const std::type_info& type() const noexcept override {
    return typeid(std::tuple<A...>);
  }
  void* tuple() noexcept override { return &values; }
  std::tuple<A...> values;
};

// parameters_of<F>: std::tuple of F's decayed parameter types, when F has
// exactly one non-template call signature; void otherwise.
template <class F, class = void>
struct parameters_of {
  using type = void;
};
template <class R, class... P>
struct parameters_of<R (*)(P...)> {
  using type = std::tuple<std::decay_t<P>...>;
};
template <class C, class R, class... P>
struct parameters_of<R (C::*)(P...)> {
  using type = std::tuple<std::decay_t<P>...>;
};
template <class C, class R, class... P>
struct parameters_of<R (C::*)(P...) const> {
  using type = std::tuple<std::decay_t<P>...>;
};
template <class C, class R, class... P>
struct parameters_of<R (C::*)(P...) noexcept> {
  using type = std::tuple<std::decay_t<P>...>;
};
template <class C, class R, class... P>
struct parameters_of<R (C::*)(P...) const noexcept> {
  using type = std::tuple<std::decay_t<P>...>;
};
template <class R, class... P>
struct parameters_of<R (*)(P...) noexcept> {
  using type = std::tuple<std::decay_t<P>...>;
};
template <class F>
struct parameters_of<F, std::void_t<decltype(&F::operator())>>
    : parameters_of<decltype(&F::operator())> {};

// callable: a tasklet function, type-erased; invoke() consumes the stored
// arguments (moved into the call).
struct callable {
  virtual ~callable() = default;
  // parameters: the tuple type invoke() accepts, or nullptr when unknown.
  [[nodiscard]] virtual const std::type_info* parameters() const noexcept = 0;
  virtual void invoke(arguments* args) = 0;
};

template <class F>
struct callable_of final : callable {
  using params = typename parameters_of<F>::type;
  explicit callable_of(F&& f) : fn(std::move(f)) {}

  const std::type_info* parameters() const noexcept override {
    if constexpr (!std::is_void_v<params>) {
      return &typeid(params);
    } else if constexpr (std::is_invocable_v<F&>) {
      return &typeid(std::tuple<>);
    } else {
      return nullptr;
    }
  }

  void invoke(arguments* args) override {
    if constexpr (!std::is_void_v<params>) {
      if constexpr (std::tuple_size_v<params> == 0) {
        fn();
      } else {
        std::apply(fn, std::move(*static_cast<params*>(args->tuple())));
      }
    } else if constexpr (std::is_invocable_v<F&>) {
      fn();
    }
  }

  F fn;
};

// bound_call_of: a callable with its arguments, checked at compile time.
template <class F, class... A>
struct bound_call_of final : callable {
  bound_call_of(F&& f, A&&... a) : fn(std::move(f)), args(std::move(a)...) {}
  const std::type_info* parameters() const noexcept override {
    return &typeid(std::tuple<>);
  }
  void invoke(arguments*) override { std::apply(fn, std::move(args)); }
  F fn;
  std::tuple<A...> args;
};

// The constructor that takes a function allocates the tasklet object and
// its callable together: make_callable_in<F> constructs the callable of
// the function at `source` (F as the constructor deduced it) in the room
// allocated for it, when its alignment is at most what operator new
// guarantees.
using callable_maker = callable* (*)(void* room, void* source);
inline constexpr std::size_t room_alignment = __STDCPP_DEFAULT_NEW_ALIGNMENT__;
template <class F>
callable* make_callable_in(void* room, void* source) {
  using D = std::decay_t<F>;
  auto& fn = *static_cast<std::remove_reference_t<F>*>(source);
  return ::new (room) callable_of<D>(D(std::forward<F>(fn)));
}
template <class F>
constexpr bool callable_fits_room =
    alignof(callable_of<std::decay_t<F>>) <= room_alignment;
// may_be_callable<D>: what tasklet(fn) and bind(fn) accept: a function
// whose parameters setup() can match, one callable without arguments, or a
// class whose operator() may be a template (a generic lambda, which setup()
// cannot match: it needs bind(fn, args...)). Anything else, an int say, is
// a compile error.
template <class D>
constexpr bool may_be_callable =
    !std::is_void_v<typename parameters_of<D>::type> ||
    std::is_invocable_v<D&> || std::is_class_v<D>;
// check_not_null: slp::error from `operation` when `fn` is a null function
// or member pointer, which the tasklet could not call.
[[noreturn]] void refuse_null_function(const char* operation);
template <class D>
void check_not_null(const D& fn, const char* operation) {
  if constexpr (std::is_pointer_v<D> || std::is_member_pointer_v<D>) {
    if (fn == nullptr) refuse_null_function(operation);
  }
}
// tasklet_new_bound: a new tasklet of the calling thread (not alive), with
// `room` bytes after its object, where `make` constructs its callable.
core::tasklet_impl* tasklet_new_bound(std::size_t room, callable_maker make,
                                      void* source);

}  // namespace detail

}  // namespace slp

#endif  // SLP_INTERNAL_TASKLET_DETAIL_HPP
