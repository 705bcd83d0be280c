// SPDX-License-Identifier: MIT
// slp::tasklet: the handle's operations, forwarded to the owning thread's
// scheduler after the checks that do not need it.
#include "slp/tasklet.hpp"

#include <cxxabi.h>

#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include "core/scheduler.hpp"
#include "core/tasklet_impl.hpp"
#include "slp/errors.hpp"

namespace slp {

namespace {

std::string message(const char* operation, const std::string& what) {
  return std::string(operation) + ": " + what;
}

// local_owner: the scheduler of `t` if it is this thread's, null if `t`
// belongs to another living thread; slp::error if its thread has ended.
core::scheduler* local_owner(core::tasklet_impl& t, const char* operation) {
  core::scheduler* s = t.owner.load(std::memory_order_relaxed);
  if (s == nullptr) throw error(message(operation, "tasklet has no thread"));
  return s == core::scheduler::if_exists() ? s : nullptr;
}

// owner: the scheduler of `t`, which must be this thread's.
core::scheduler& owner(core::tasklet_impl& t, const char* operation) {
  core::scheduler* s = local_owner(t, operation);
  if (s == nullptr) {
    throw error(message(operation, "can't switch to a different thread"));
  }
  return *s;
}

// no_thread: the error of a request on a tasklet whose thread has ended.
[[noreturn]] void no_thread(const char* operation) {
  throw error(message(operation, "tasklet has no thread"));
}

std::string type_name(const std::type_info& type) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> demangled(
      abi::__cxa_demangle(type.name(), nullptr, nullptr, &status), &std::free);
  return status == 0 ? demangled.get() : type.name();
}

}  // namespace

tasklet::tasklet()
    : impl_(core::tasklet_impl::create(&core::scheduler::of_this_thread())) {}

tasklet::tasklet(const tasklet& other) noexcept
    : impl_(core::add_ref(other.impl_)) {}

tasklet::tasklet(tasklet&& other) noexcept
    : impl_(std::exchange(other.impl_, nullptr)) {}

tasklet& tasklet::operator=(const tasklet& other) noexcept {
  core::tasklet_impl* old = std::exchange(impl_, core::add_ref(other.impl_));
  core::release(old);
  return *this;
}

tasklet& tasklet::operator=(tasklet&& other) noexcept {
  if (this != &other)
    core::release(std::exchange(impl_, std::exchange(other.impl_, nullptr)));
  return *this;
}

tasklet::~tasklet() { core::release(impl_); }

tasklet& tasklet::bind_callable(std::unique_ptr<detail::callable> fn,
                                bool with_arguments) {
  const char* op = fn ? "slp::tasklet::bind" : "slp::tasklet::unbind";
  core::tasklet_impl& t = *impl_;
  core::scheduler* s = t.owner.load(std::memory_order_relaxed);
  if (s != nullptr && s != core::scheduler::if_exists()) {
    throw error(message(
        op, "the tasklet belongs to another thread; use bind_thread() first"));
  }
  std::optional<core::owner_gate::section> inside;
  if (s != nullptr) inside.emplace(s->gate());
  if (s != nullptr && &s->current() == &t) {
    throw error(message(op, "can't (re)bind the current tasklet"));
  }
  if (t.is_main) {
    throw error(message(op, fn ? "can't (re)bind the main tasklet"
                               : "can't unbind the main tasklet"));
  }
  if (t.scheduled()) throw error(message(op, "tasklet is scheduled"));
  if (t.started()) throw error(message(op, "tasklet has C state on its stack"));
  // A tasklet whose thread has ended may be rebound (bind_thread() then
  // adopts it), but not set up: no thread could run it (SB §2.7).
  if (with_arguments && s == nullptr) no_thread(op);
  if (t.state == core::context::status::finished) {
    t.state = core::context::status::fresh;
    t.home = nullptr;
    t.slice.release();
  }
  t.entered = false;
  t.fn.own(std::move(fn));
  t.args.reset();
  t.bomb = nullptr;
  t.nesting = 0;
  if (s != nullptr) {
    if (with_arguments) {
      s->make_alive(t);
    } else {
      s->make_dead(t);  // a paused tasklet that had arguments is unbound
      s->release_pending();
    }
  }
  return *this;
}

core::tasklet_impl* detail::tasklet_new_bound(std::size_t room,
                                              callable_maker make,
                                              void* source) {
  core::tasklet_impl* t =
      core::tasklet_impl::create(&core::scheduler::of_this_thread(), room);
  try {
    t->fn.own_in_room(make(t->room(), source));
  } catch (...) {  // the function could not be moved or copied
    core::tasklet_impl::destroy(t);
    throw;
  }
  return t;
}

void detail::refuse_null_function(const char* operation) {
  throw error(message(operation, "the function is a null pointer"));
}

tasklet& tasklet::unbind() { return bind_callable(nullptr); }

tasklet& tasklet::setup_arguments(std::unique_ptr<detail::arguments> args,
                                  const std::type_info& types) {
  static constexpr const char* op = "slp::tasklet::setup";
  core::tasklet_impl& t = *impl_;
  if (t.set_up) throw error(message(op, "tasklet is alive"));
  if (!t.fn)
    throw error(message(op, "the tasklet was not bound to a function"));
  core::scheduler* s = local_owner(t, op);
  const std::type_info* parameters = t.fn->parameters();
  if (parameters == nullptr) {
    throw error(message(
        op,
        "the arguments cannot be matched with a generic tasklet function "
        "(its parameter types are not known); use bind(fn, args...)"));
  }
  if (*parameters != types) {
    throw error(message(op, "the tasklet function takes " +
                                type_name(*parameters) +
                                " but setup() was given " + type_name(types)));
  }
  if (s != nullptr) {
    core::owner_gate::section inside(s->gate());
    t.args = std::move(args);
    s->make_alive(t);
    s->insert(t);
    return *this;
  }
  // Another thread's tasklet: set up and made runnable there, at once, by
  // this thread (API.md §8).
  if (!core::inbox::visit(t, op, [&](core::scheduler& home) {
        if (t.set_up) throw error(message(op, "tasklet is alive"));
        t.args = std::move(args);
        home.make_alive(t);
        home.insert_remote(t, op, false);
      })) {
    no_thread(op);
  }
  return *this;
}

tasklet& tasklet::insert() {
  static constexpr const char* op = "slp::tasklet::insert";
  if (core::scheduler* s = local_owner(*impl_, op)) {
    s->insert(*impl_);
    return *this;
  }
  core::tasklet_impl& t = *impl_;
  if (!core::inbox::visit(t, op, [&](core::scheduler& home) {
        home.insert_remote(t, op, false);
      })) {
    no_thread(op);
  }
  return *this;
}

tasklet& tasklet::remove() {
  static constexpr const char* op = "slp::tasklet::remove";
  if (impl_->owner.load(std::memory_order_relaxed) == nullptr) return *this;
  if (core::scheduler* s = local_owner(*impl_, op)) {
    s->remove(*impl_);
  } else {  // a thread that has ended meanwhile: nothing to remove
    core::tasklet_impl& t = *impl_;
    core::inbox::visit(t, op,
                       [&](core::scheduler& home) { home.remove_remote(t); });
  }
  return *this;
}

void tasklet::run() {
  static constexpr const char* op = "slp::tasklet::run";
  if (core::scheduler* s = local_owner(*impl_, op)) {
    s->run(*impl_, false);
    return;
  }
  // It runs next in its own thread; the caller never switches.
  core::tasklet_impl& t = *impl_;
  if (!core::inbox::visit(t, op, [&](core::scheduler& home) {
        home.insert_remote(t, op, true);
      })) {
    no_thread(op);
  }
}

void tasklet::switch_to() {
  owner(*impl_, "slp::tasklet::switch_to").run(*impl_, true);
}

void tasklet::throw_exception(std::exception_ptr e, bool pending) {
  static constexpr const char* op = "slp::tasklet::throw_exception";
  if (!e) throw error(message(op, "the exception_ptr is empty"));
  core::tasklet_impl& t = *impl_;
  if (t.owner.load(std::memory_order_relaxed) == nullptr && !t.set_up) {
    if (core::is_tasklet_exit(e)) return;
    throw error(message(op, "You cannot throw to a dead tasklet"));
  }
  if (core::scheduler* s = local_owner(t, op)) {
    s->throw_to(t, std::move(e), pending);
    return;
  }
  // Pending at once, raised in its own thread; the caller does not switch.
  // A dead target fails here, as it would there.
  const bool exit = core::is_tasklet_exit(e);
  if (!core::inbox::visit(t, op,
                          [&](core::scheduler& home) {
                            home.throw_remote(t, std::move(e), op);
                          }) &&
      !exit) {
    no_thread(op);
  }
}

void tasklet::kill(bool pending) {
  if (impl_->owner.load(std::memory_order_relaxed) == nullptr) return;
  if (core::scheduler* s = local_owner(*impl_, "slp::tasklet::kill")) {
    if (!impl_->set_up) return;
    s->throw_to(*impl_, std::make_exception_ptr(tasklet_exit()), pending);
  } else {  // a dead target, or a thread that has ended: nothing to kill
    core::tasklet_impl& t = *impl_;
    core::inbox::visit(t, "slp::tasklet::kill", [&](core::scheduler& home) {
      home.throw_remote(t, std::make_exception_ptr(tasklet_exit()),
                        "slp::tasklet::kill");
    });
  }
}

tasklet& tasklet::bind_thread() {
  static constexpr const char* op = "slp::tasklet::bind_thread";
  core::tasklet_impl& t = *impl_;
  core::scheduler& here = core::scheduler::of_this_thread();
  core::scheduler* s = t.owner.load(std::memory_order_relaxed);
  if (s == &here) return *this;
  if (t.is_main) throw error(message(op, "can't rebind a main tasklet"));
  // Checked and moved while its thread is outside slp, so that nobody
  // makes it runnable there meanwhile (API.md §8).
  const auto check_and_adopt = [&] {
    if (t.scheduled())
      throw error(message(op, "can't (re)bind a runnable tasklet"));
    if (t.started())
      throw error(message(op, "tasklet has C state on its stack"));
    here.adopt(t);
  };
  if (s == nullptr || !core::inbox::visit(t, op, [&](core::scheduler&) {
        check_and_adopt();
      })) {
    check_and_adopt();  // its thread has ended: nobody else acts on it
  }
  return *this;
}

bool tasklet::set_atomic(bool flag) noexcept {
  return std::exchange(impl_->atomic, flag);
}

bool tasklet::set_ignore_nesting(bool flag) noexcept {
  return std::exchange(impl_->ignore_nesting, flag);
}

void tasklet::set_block_trap(bool flag) noexcept { impl_->block_trap = flag; }

void tasklet::set_name(std::string name) {
  if (impl_->name != nullptr) {
    *impl_->name = std::move(name);
    return;
  }
  impl_->name = std::make_unique<std::string>(std::move(name));
}

bool tasklet::alive() const noexcept {
  return impl_ != nullptr && impl_->set_up;
}

bool tasklet::paused() const noexcept { return alive() && !impl_->scheduled(); }

bool tasklet::blocked() const noexcept {
  return impl_ != nullptr && impl_->blocked != 0;
}

bool tasklet::scheduled() const noexcept {
  return impl_ != nullptr && impl_->scheduled();
}

bool tasklet::restorable() const noexcept {
  if (impl_ == nullptr || impl_->is_main) return false;
  // Killed before its function was called, it never had C state.
  const core::context::status state = impl_->state;
  return state == core::context::status::fresh ||
         (state == core::context::status::finished && !impl_->entered);
}

bool tasklet::atomic() const noexcept {
  return impl_ != nullptr && impl_->atomic;
}

bool tasklet::ignore_nesting() const noexcept {
  return impl_ != nullptr && impl_->ignore_nesting;
}

bool tasklet::block_trap() const noexcept {
  return impl_ != nullptr && impl_->block_trap;
}

bool tasklet::is_current() const noexcept {
  core::scheduler* s =
      impl_ != nullptr ? impl_->owner.load(std::memory_order_relaxed) : nullptr;
  return s != nullptr && s == core::scheduler::if_exists() &&
         &s->current() == impl_;
}

bool tasklet::is_main() const noexcept {
  return impl_ != nullptr && impl_->is_main;
}

namespace {
// neighbour: a link of `t`, read inside a section if `t` is of this thread
// (other threads may change its thread's runnables only outside one).
std::optional<tasklet> neighbour(core::tasklet_impl* t, bool forward) noexcept {
  if (t == nullptr) return std::nullopt;
  core::scheduler* s = t->owner.load(std::memory_order_relaxed);
  std::optional<core::owner_gate::section> inside;
  if (s != nullptr && s == core::scheduler::if_exists())
    inside.emplace(s->gate());
  core::tasklet_impl* other = forward ? t->next : t->prev;
  if (other == nullptr) return std::nullopt;
  return core::handle_access::adopt(core::add_ref(other));
}
}  // namespace

std::optional<tasklet> tasklet::prev() const noexcept {
  return neighbour(impl_, false);
}

std::optional<tasklet> tasklet::next() const noexcept {
  return neighbour(impl_, true);
}

int tasklet::nesting_level() const noexcept {
  return impl_ != nullptr ? impl_->nesting : 0;
}

std::size_t tasklet::stack_bytes() const noexcept {
  return impl_ != nullptr ? impl_->stack_bytes() : 0;
}

slp::stack_range tasklet::stack_range() const noexcept {
  if (impl_ == nullptr) return {};
  core::scheduler* s = impl_->owner.load(std::memory_order_relaxed);
  if (s == nullptr || s != core::scheduler::if_exists()) return {};
  if (!impl_->started() || impl_->home == nullptr) return {};
  const void* pointer = &s->current() == impl_ ? nullptr : impl_->sp;
  return {pointer, impl_->home->top()};
}

std::thread::id tasklet::thread_id() const noexcept {
  core::scheduler* s =
      impl_ != nullptr ? impl_->owner.load(std::memory_order_relaxed) : nullptr;
  return s != nullptr ? s->thread_id() : std::thread::id();
}

std::uint64_t tasklet::id() const noexcept {
  return impl_ != nullptr ? impl_->id : 0;
}

const std::string& tasklet::name() const noexcept {
  static const std::string none;
  return impl_ != nullptr ? impl_->name_or_empty() : none;
}

}  // namespace slp
