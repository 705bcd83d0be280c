// The C API of <slp/slp.h>: opaque, reference-counted C objects over the
// C++ handles, and a wall that no C++ exception crosses.
//
// Every entry point runs its body inside guarded(): an exception becomes
// -1 (or NULL) plus the thread's last error, a success clears it. The C
// objects live in a registry: a pointer is used only after the registry
// has confirmed it is live, so a stale pointer or a decref below zero is
// an error, not a use of freed memory; freed wrappers sit in a quarantine
// for a while so that their addresses are not handed out again at once.
//
// A C tasklet runs its C function inside run_c_function(). When
// slp::tasklet_exit arrives in an slp call made from that function, the
// call returns -1 (kind SLP_E_KILLED) instead of unwinding through the C
// frames, and the tasklet is marked killed: its further switching calls
// fail at once, and when the function returns, run_c_function() throws
// tasklet_exit again from C++ frames only, so the tasklet ends as killed.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "core/c_api_bridge.hpp"
#include "core/execution_stack.hpp"
#include "core/scheduler.hpp"
#include "core/tasklet_impl.hpp"
#include "slp/slp.h"
#include "slp/slp.hpp"

// The C objects. `refs` is guarded by the registry's mutex.
struct slp_tasklet {
  explicit slp_tasklet(slp::tasklet t) : handle(std::move(t)) {}
  slp::tasklet handle;
  std::size_t refs = 1;
};

struct slp_channel {
  // A channel made by slp_channel_new: it carries void*.
  explicit slp_channel(slp::channel<void*> c)
      : pointers(std::move(c)), ref(*pointers) {}
  // A channel made in C++ that reached C through a hook: queries only.
  explicit slp_channel(slp::channel_ref r) : ref(std::move(r)) {}
  std::optional<slp::channel<void*>> pointers;
  slp::channel_ref ref;
  std::size_t refs = 1;
};

namespace {

// --- the last error, per thread (trivially destructible: it is still
// used while the thread's scheduler kills its tasklets at thread end) ---

constexpr std::size_t error_capacity = 512;
thread_local char error_text[error_capacity];
thread_local int error_kind = SLP_OK;

void set_error(int kind, const char* text) noexcept {
  error_kind = kind;
  std::size_t n = std::strlen(text);
  if (n >= error_capacity) n = error_capacity - 1;
  std::memcpy(error_text, text, n);
  error_text[n] = '\0';
}

void clear_error() noexcept {
  error_kind = SLP_OK;
  error_text[0] = '\0';
}

// misuse: an error found by the C layer itself.
class misuse : public slp::error {
 public:
  using slp::error::error;
};

// user_exception: what C code raises with SLP_E_USER.
class user_exception : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

[[noreturn]] void fail(const char* operation, const char* what) {
  throw misuse(std::string(operation) + ": " + what);
}

// --- C tasklet bodies and the kill through C frames ---

struct c_run {
  bool killed = false;
};

// The C functions running in this thread's tasklets, by tasklet id. A
// plain pointer, so that nothing is destroyed before the scheduler's own
// thread-end cleanup, which still runs C tasklets.
thread_local std::unordered_map<std::uint64_t, c_run*>* c_runs = nullptr;
thread_local std::size_t killed_runs = 0;

c_run* find_run(std::uint64_t id) noexcept {
  if (c_runs == nullptr) return nullptr;
  auto it = c_runs->find(id);
  return it == c_runs->end() ? nullptr : it->second;
}

std::uint64_t current_id() noexcept {
  slp::core::scheduler* s = slp::core::scheduler::if_exists();
  return s != nullptr ? s->current().id : 0;
}

// mark_killed: tasklet_exit reached a C API call of the current tasklet;
// if it runs a C function, it is now killed (see the top of the file).
void mark_killed() noexcept {
  c_run* run = find_run(current_id());
  if (run == nullptr || run->killed) return;
  run->killed = true;
  ++killed_runs;
}

// check_not_killed: a call of a killed C tasklet that could switch fails
// at once, as if the kill had arrived again.
void check_not_killed() {
  if (killed_runs == 0) return;
  c_run* run = find_run(current_id());
  if (run != nullptr && run->killed) throw slp::tasklet_exit();
}

void run_c_function(slp_function fn, void* arg) {
  const std::uint64_t id = slp::current().id();
  c_run run;
  if (c_runs == nullptr) c_runs = new std::unordered_map<std::uint64_t, c_run*>;
  c_runs->emplace(id, &run);
  fn(arg);  // C: it cannot throw, and nothing is thrown through it
  c_runs->erase(id);
  if (c_runs->empty()) {
    delete c_runs;
    c_runs = nullptr;
  }
  if (run.killed) {
    --killed_runs;
    throw slp::tasklet_exit();  // from C++ frames only: ends it as killed
  }
}

auto c_body(slp_function fn) {
  return [fn](void* arg) { run_c_function(fn, arg); };
}

// --- exceptions to error kinds, and back ---

const char* kind_name(int kind) noexcept {
  switch (kind) {
    case SLP_OK:
      return "ok";
    case SLP_E_ERROR:
      return "error";
    case SLP_E_DEADLOCK:
      return "deadlock";
    case SLP_E_CLOSED:
      return "channel closed";
    case SLP_E_BLOCK_TRAP:
      return "block trap";
    case SLP_E_SWITCH_TRAP:
      return "switch trap";
    case SLP_E_KILLED:
      return "tasklet_exit";
    case SLP_E_STOP_ITERATION:
      return "stop_iteration";
    case SLP_E_USER:
      return "user exception";
    case SLP_E_NO_MEMORY:
      return "out of memory";
    default:
      return "other";
  }
}

// classify: the kind and message of `e`. `operation` names the C call, for
// the messages slp writes itself.
void classify(std::exception_ptr e, const char* operation, int* kind,
              std::string* text) {
  try {
    std::rethrow_exception(std::move(e));
  } catch (const slp::tasklet_exit&) {
    *kind = SLP_E_KILLED;
    *text = std::string(operation) +
            ": the tasklet was killed (slp::tasklet_exit); return from its "
            "function";
  } catch (const slp::block_trap_error& x) {
    *kind = SLP_E_BLOCK_TRAP;
    *text = x.what();
  } catch (const slp::switch_trap_error& x) {
    *kind = SLP_E_SWITCH_TRAP;
    *text = x.what();
  } catch (const slp::channel_closed_error& x) {
    *kind = SLP_E_CLOSED;
    *text = x.what();
  } catch (const slp::deadlock_error& x) {
    *kind = SLP_E_DEADLOCK;
    *text = x.what();
  } catch (const slp::error& x) {
    *kind = SLP_E_ERROR;
    *text = x.what();
  } catch (const user_exception& x) {
    *kind = SLP_E_USER;
    *text = x.what();
  } catch (const slp::stop_iteration& x) {
    *kind = SLP_E_STOP_ITERATION;
    *text = x.what();
  } catch (const std::bad_alloc&) {
    *kind = SLP_E_NO_MEMORY;
    *text = std::string(operation) + ": out of memory";
  } catch (const std::exception& x) {
    *kind = SLP_E_OTHER;
    *text = x.what();
  } catch (...) {
    *kind = SLP_E_OTHER;
    *text = std::string(operation) + ": an unknown C++ exception";
  }
}

// record_failure: the current exception as the thread's last error.
void record_failure(const char* operation) noexcept {
  int kind = SLP_E_OTHER;
  try {
    std::string text;
    classify(std::current_exception(), operation, &kind, &text);
    if (kind == SLP_E_KILLED) mark_killed();
    set_error(kind, text.c_str());
  } catch (...) {  // no memory for the message
    if (kind == SLP_E_KILLED) mark_killed();
    set_error(kind, operation);
  }
}

// exception_of: the C++ exception C code delivers with `kind`.
std::exception_ptr exception_of(const char* operation, int kind,
                                const char* message) {
  const std::string text = message != nullptr ? message : kind_name(kind);
  switch (kind) {
    case SLP_E_ERROR:
      return std::make_exception_ptr(slp::error(text));
    case SLP_E_DEADLOCK:
      return std::make_exception_ptr(slp::deadlock_error(text));
    case SLP_E_CLOSED:
      return std::make_exception_ptr(slp::channel_closed_error(text));
    case SLP_E_BLOCK_TRAP:
      return std::make_exception_ptr(slp::block_trap_error(text));
    case SLP_E_SWITCH_TRAP:
      return std::make_exception_ptr(slp::switch_trap_error(text));
    case SLP_E_KILLED:
      return std::make_exception_ptr(slp::tasklet_exit());
    case SLP_E_STOP_ITERATION:
      return std::make_exception_ptr(slp::stop_iteration());
    case SLP_E_USER:
      return std::make_exception_ptr(user_exception(text));
    case SLP_E_OTHER:
      return std::make_exception_ptr(std::runtime_error(text));
    default:
      fail(operation, ("kind " + std::to_string(kind) +
                       " is not an exception C code can deliver")
                          .c_str());
  }
}

// guarded: runs `body`; any exception becomes `on_failure` and the last
// error, a success clears the last error.
template <class R, class F>
R guarded(const char* operation, R on_failure, F&& body) noexcept {
  try {
    R result = body();
    clear_error();
    return result;
  } catch (...) {
    record_failure(operation);
    return on_failure;
  }
}

template <class F>
int guarded_status(const char* operation, F&& body) noexcept {
  return guarded(operation, -1, [&] {
    body();
    return 0;
  });
}

// --- the registry of live C objects ---

std::uint64_t id_of(const slp_tasklet& t) noexcept { return t.handle.id(); }
std::uint64_t id_of(const slp_channel& c) noexcept { return c.ref.id(); }

// take: what a C object holds, moved out of it.
slp_tasklet take(slp_tasklet& t) noexcept {
  return slp_tasklet(std::move(t.handle));
}
slp_channel take(slp_channel& c) noexcept {
  slp_channel contents(std::move(c.ref));
  contents.pointers = std::move(c.pointers);
  c.pointers.reset();
  return contents;
}

const char* null_message(const slp_tasklet*) noexcept {
  return "the tasklet is NULL";
}
const char* null_message(const slp_channel*) noexcept {
  return "the channel is NULL";
}
const char* stale_message(const slp_tasklet*) noexcept {
  return "not a live slp_tasklet (its reference count reached zero, or it "
         "never was one)";
}
const char* stale_message(const slp_channel*) noexcept {
  return "not a live slp_channel (its reference count reached zero, or it "
         "never was one)";
}

template <class Object>
class registry {
 public:
  // validate: `object` is live; returns what `get` copies out of it, under
  // the lock, so that the C object may go while the copy is used.
  template <class Get>
  auto validate(const char* operation, const Object* object, Get&& get) {
    if (object == nullptr) fail(operation, null_message(object));
    std::lock_guard<std::mutex> lock(mutex_);
    if (live_.count(object) == 0) fail(operation, stale_message(object));
    return get(*object);
  }

  void incref(const char* operation, Object* object) {
    if (object == nullptr) fail(operation, null_message(object));
    std::lock_guard<std::mutex> lock(mutex_);
    if (live_.count(object) == 0) fail(operation, stale_message(object));
    ++object->refs;
  }

  // decref: drops one reference; the last one retires the C object. What
  // it held is destroyed after the lock is released, because dropping a
  // tasklet handle can kill the tasklet, which switches.
  void decref(const char* operation, Object* object) {
    if (object == nullptr) fail(operation, null_message(object));
    std::optional<Object> contents;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (live_.count(object) == 0) {
        fail(operation,
             "the reference count would go below zero (it reached zero "
             "already: released twice, or never a live object)");
      }
      if (--object->refs == 0) contents.emplace(retire(object));
    }
  }

  // adopt: the C object for `handle`, found by id (one more reference) or
  // made (its first).
  template <class Handle>
  Object* adopt(Handle handle) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = by_id_.find(handle.id());
    if (it != by_id_.end()) {
      ++it->second->refs;
      return it->second;
    }
    return enter(new Object(std::move(handle)));
  }

  // enter_new: registers a C object just made, with its first reference.
  Object* enter_new(Object* object) {
    std::lock_guard<std::mutex> lock(mutex_);
    return enter(object);
  }

 private:
  Object* enter(Object* object) {
    std::unique_ptr<Object> owner(object);
    live_.insert(object);
    try {
      by_id_.emplace(id_of(*object), object);
    } catch (...) {
      live_.erase(object);
      throw;
    }
    return owner.release();
  }

  // retire: takes `object` out of the registry and returns its contents.
  // The emptied object waits in the quarantine, so that its address is not
  // reused while a stale pointer to it may still be around.
  Object retire(Object* object) noexcept {
    live_.erase(object);
    by_id_.erase(id_of(*object));
    Object contents = take(*object);
    if (quarantine_.size() < quarantine_capacity) {
      quarantine_.push_back(object);  // reserved: does not throw
    } else {
      delete quarantine_[next_evicted_];
      quarantine_[next_evicted_] = object;
      next_evicted_ = (next_evicted_ + 1) % quarantine_capacity;
    }
    return contents;
  }

  static constexpr std::size_t quarantine_capacity = 256;
  std::mutex mutex_;
  std::unordered_set<const Object*> live_;
  std::unordered_map<std::uint64_t, Object*> by_id_;
  std::vector<Object*> quarantine_ = [] {
    std::vector<Object*> v;
    v.reserve(quarantine_capacity);
    return v;
  }();
  std::size_t next_evicted_ = 0;
};

// Never destroyed: C objects may be released during the process's exit.
registry<slp_tasklet>& tasklets() {
  static auto* r = new registry<slp_tasklet>;
  return *r;
}
registry<slp_channel>& channels() {
  static auto* r = new registry<slp_channel>;
  return *r;
}

slp::tasklet tasklet_of(const char* operation, const slp_tasklet* t) {
  return tasklets().validate(operation, t,
                             [](const slp_tasklet& w) { return w.handle; });
}

slp::channel_ref channel_of(const char* operation, const slp_channel* ch) {
  return channels().validate(operation, ch,
                             [](const slp_channel& w) { return w.ref; });
}

slp::channel<void*> pointer_channel_of(const char* operation,
                                       const slp_channel* ch) {
  std::optional<slp::channel<void*>> c = channels().validate(
      operation, ch, [](const slp_channel& w) { return w.pointers; });
  if (!c) {
    fail(operation,
         "the channel was made in C++ and carries C++ values, not void*");
  }
  return std::move(*c);
}

slp_tasklet* adopt(const slp::tasklet& t) { return tasklets().adopt(t); }
slp_tasklet* adopt(const std::optional<slp::tasklet>& t) {
  return t ? adopt(*t) : nullptr;
}

slp_channel* adopt(const slp::channel_ref& c) { return channels().adopt(c); }

// borrowed: a C object lent to a hook for the length of the call.
template <class Object>
class borrowed {
 public:
  explicit borrowed(Object* object) noexcept : object_(object) {}
  ~borrowed() {
    if (object_ == nullptr) return;
    try {
      if constexpr (std::is_same_v<Object, slp_tasklet>) {
        tasklets().decref("slp hook", object_);
      } else {
        channels().decref("slp hook", object_);
      }
    } catch (...) {  // the hook released it once too often: its bug
    }
  }
  borrowed(const borrowed&) = delete;
  borrowed& operator=(const borrowed&) = delete;
  [[nodiscard]] Object* get() const noexcept { return object_; }

 private:
  Object* object_;
};

// --- small helpers ---

int as_int(bool b) noexcept { return b ? 1 : 0; }

// run_with: slp::run with the C arguments; the interrupted tasklet to
// *interrupted or back into the runnables.
void run_with(const char* operation, long timeout, long long budget_ns,
              int flags, slp_tasklet** interrupted) {
  if (interrupted != nullptr) *interrupted = nullptr;
  check_not_killed();
  if (timeout < 0) fail(operation, "the timeout is negative");
  if (budget_ns < 0) fail(operation, "the time budget is negative");
  constexpr int known = SLP_WATCHDOG_THREADBLOCK | SLP_WATCHDOG_SOFT |
                        SLP_WATCHDOG_IGNORE_NESTING | SLP_WATCHDOG_TOTALTIMEOUT;
  if ((flags & ~known) != 0) {
    fail(operation,
         ("unknown flag bits " + std::to_string(flags & ~known)).c_str());
  }
  slp::run_options options;
  options.timeout = static_cast<std::uint64_t>(timeout);
  options.threadblock = (flags & SLP_WATCHDOG_THREADBLOCK) != 0;
  options.soft = (flags & SLP_WATCHDOG_SOFT) != 0;
  options.ignore_nesting = (flags & SLP_WATCHDOG_IGNORE_NESTING) != 0;
  options.totaltimeout = (flags & SLP_WATCHDOG_TOTALTIMEOUT) != 0;
  options.time_budget = std::chrono::nanoseconds(budget_ns);
  std::optional<slp::tasklet> victim = slp::run(options);
  if (!victim) return;
  if (interrupted != nullptr) {
    *interrupted = adopt(*victim);
  } else {
    victim->insert();
  }
}

// stack_info: where the frames of `t`, a tasklet of this thread, are.
slp_stack_info stack_info(const char* operation, const slp_tasklet* t) {
  slp::tasklet h = tasklet_of(operation, t);
  if (h.thread_id() != std::this_thread::get_id()) {
    fail(operation, "the tasklet belongs to another thread");
  }
  slp_stack_info info{nullptr, nullptr, 0, 0};
  const slp::core::tasklet_impl& impl = *h.impl();
  if (!impl.started() || impl.home == nullptr) return info;
  const std::byte* top = impl.home->top();
  const std::byte* sp = static_cast<const std::byte*>(impl.sp);
  if (h.is_current()) {  // running: about where its caller's frame is
    sp = static_cast<const std::byte*>(__builtin_frame_address(0));
  }
  info.stack_top = top;
  info.stack_pointer = sp;
  info.depth = static_cast<std::size_t>(top - sp);
  info.heap_bytes = h.stack_bytes();
  return info;
}

// fast_cell: a C fast hook and its user pointer. Cells are kept for the
// life of the process, as the C++ hook sets are: another thread may be
// calling through an old one.
struct fast_cell {
  slp_schedule_fasthook fn;
  void* user;
};

fast_cell* cell_for(slp_schedule_fasthook fn, void* user) {
  static std::mutex mutex;
  static auto* cells = new std::vector<std::unique_ptr<fast_cell>>;
  std::lock_guard<std::mutex> lock(mutex);
  for (const auto& c : *cells) {
    if (c->fn == fn && c->user == user) return c.get();
  }
  cells->push_back(std::make_unique<fast_cell>(fast_cell{fn, user}));
  return cells->back().get();
}

void fast_trampoline(void* cell, slp::tasklet_view from, slp::tasklet_view to) {
  const auto& c = *static_cast<const fast_cell*>(cell);
  slp_tasklet_view f{from.id(), as_int(from.is_main()), from.name().c_str()};
  slp_tasklet_view t{to.id(), as_int(to.is_main()), to.name().c_str()};
  c.fn(c.user, from ? &f : nullptr, to ? &t : nullptr);
}

}  // namespace

extern "C" {

// --- errors ---

const char* slp_last_error(void) { return error_text; }

int slp_last_error_kind(void) { return error_kind; }

void slp_clear_error(void) { clear_error(); }

// --- reference counts ---

int slp_tasklet_incref(slp_tasklet* t) {
  return guarded_status("slp_tasklet_incref",
                        [&] { tasklets().incref("slp_tasklet_incref", t); });
}

int slp_tasklet_decref(slp_tasklet* t) {
  return guarded_status("slp_tasklet_decref",
                        [&] { tasklets().decref("slp_tasklet_decref", t); });
}

int slp_channel_incref(slp_channel* ch) {
  return guarded_status("slp_channel_incref",
                        [&] { channels().incref("slp_channel_incref", ch); });
}

int slp_channel_decref(slp_channel* ch) {
  return guarded_status("slp_channel_decref",
                        [&] { channels().decref("slp_channel_decref", ch); });
}

// --- tasklets ---

slp_tasklet* slp_tasklet_new(slp_function fn) {
  static constexpr const char* op = "slp_tasklet_new";
  return guarded(op, static_cast<slp_tasklet*>(nullptr), [&] {
    if (fn == nullptr) fail(op, "the tasklet function is NULL");
    return adopt(slp::tasklet(c_body(fn)));
  });
}

int slp_tasklet_bind(slp_tasklet* t, slp_function fn) {
  static constexpr const char* op = "slp_tasklet_bind";
  return guarded_status(op, [&] {
    slp::tasklet h = tasklet_of(op, t);
    if (fn == nullptr) fail(op, "the tasklet function is NULL");
    if (h.alive()) fail(op, "the tasklet is alive");
    h.bind(c_body(fn));
  });
}

int slp_tasklet_setup(slp_tasklet* t, void* arg) {
  static constexpr const char* op = "slp_tasklet_setup";
  return guarded_status(op, [&] { tasklet_of(op, t).setup(arg); });
}

int slp_tasklet_run(slp_tasklet* t) {
  static constexpr const char* op = "slp_tasklet_run";
  return guarded_status(op, [&] {
    slp::tasklet h = tasklet_of(op, t);
    check_not_killed();
    h.run();
  });
}

int slp_tasklet_run_nice(slp_tasklet* t) { return slp_tasklet_run(t); }

int slp_tasklet_switch(slp_tasklet* t) {
  static constexpr const char* op = "slp_tasklet_switch";
  return guarded_status(op, [&] {
    slp::tasklet h = tasklet_of(op, t);
    check_not_killed();
    h.switch_to();
  });
}

int slp_tasklet_remove(slp_tasklet* t) {
  static constexpr const char* op = "slp_tasklet_remove";
  return guarded_status(op, [&] { tasklet_of(op, t).remove(); });
}

int slp_tasklet_insert(slp_tasklet* t) {
  static constexpr const char* op = "slp_tasklet_insert";
  return guarded_status(op, [&] { tasklet_of(op, t).insert(); });
}

int slp_tasklet_become(slp_tasklet* t, void* retval) {
  static constexpr const char* op = "slp_tasklet_become";
  (void)retval;
  return guarded_status(op, [&] {
    tasklet_of(op, t);
    fail(op,
         "not provided: deprecated since Stackless 2.5, and a C frame cannot "
         "become a tasklet");
  });
}

int slp_tasklet_capture(slp_tasklet* t, void* retval) {
  static constexpr const char* op = "slp_tasklet_capture";
  (void)retval;
  return guarded_status(op, [&] {
    tasklet_of(op, t);
    fail(op,
         "not provided: deprecated since Stackless 2.5, and a C frame cannot "
         "be captured into a tasklet");
  });
}

int slp_tasklet_throw(slp_tasklet* t, int pending, int kind,
                      const char* message) {
  static constexpr const char* op = "slp_tasklet_throw";
  return guarded_status(op, [&] {
    slp::tasklet h = tasklet_of(op, t);
    std::exception_ptr e = exception_of(op, kind, message);
    if (pending == 0 && !h.is_current()) check_not_killed();
    h.throw_exception(std::move(e), pending != 0);
  });
}

int slp_tasklet_raise_exception(slp_tasklet* t, int kind, const char* message) {
  static constexpr const char* op = "slp_tasklet_raise_exception";
  return guarded_status(op, [&] {
    slp::tasklet h = tasklet_of(op, t);
    std::exception_ptr e = exception_of(op, kind, message);
    if (!h.is_current()) check_not_killed();
    h.throw_exception(std::move(e), false);
  });
}

int slp_tasklet_kill(slp_tasklet* t, int pending) {
  static constexpr const char* op = "slp_tasklet_kill";
  return guarded_status(op, [&] {
    slp::tasklet h = tasklet_of(op, t);
    if (pending == 0 && h.alive() && !h.is_current()) check_not_killed();
    h.kill(pending != 0);
  });
}

int slp_tasklet_get_atomic(slp_tasklet* t) {
  static constexpr const char* op = "slp_tasklet_get_atomic";
  return guarded(op, -1, [&] { return as_int(tasklet_of(op, t).atomic()); });
}

int slp_tasklet_set_atomic(slp_tasklet* t, int flag) {
  static constexpr const char* op = "slp_tasklet_set_atomic";
  return guarded(
      op, -1, [&] { return as_int(tasklet_of(op, t).set_atomic(flag != 0)); });
}

int slp_tasklet_get_ignore_nesting(slp_tasklet* t) {
  static constexpr const char* op = "slp_tasklet_get_ignore_nesting";
  return guarded(op, -1,
                 [&] { return as_int(tasklet_of(op, t).ignore_nesting()); });
}

int slp_tasklet_set_ignore_nesting(slp_tasklet* t, int flag) {
  static constexpr const char* op = "slp_tasklet_set_ignore_nesting";
  return guarded(op, -1, [&] {
    return as_int(tasklet_of(op, t).set_ignore_nesting(flag != 0));
  });
}

int slp_tasklet_get_block_trap(slp_tasklet* t) {
  static constexpr const char* op = "slp_tasklet_get_block_trap";
  return guarded(op, -1,
                 [&] { return as_int(tasklet_of(op, t).block_trap()); });
}

int slp_tasklet_set_block_trap(slp_tasklet* t, int flag) {
  static constexpr const char* op = "slp_tasklet_set_block_trap";
  return guarded(op, -1, [&] {
    slp::tasklet h = tasklet_of(op, t);
    const bool old = h.block_trap();
    h.set_block_trap(flag != 0);
    return as_int(old);
  });
}

int slp_tasklet_get_stack_info(slp_tasklet* t, slp_stack_info* info) {
  static constexpr const char* op = "slp_tasklet_get_stack_info";
  return guarded_status(op, [&] {
    if (info == nullptr) fail(op, "info is NULL");
    *info = stack_info(op, t);
  });
}

long slp_tasklet_get_stack_depth(slp_tasklet* t) {
  static constexpr const char* op = "slp_tasklet_get_stack_depth";
  return guarded(op, -1L,
                 [&] { return static_cast<long>(stack_info(op, t).depth); });
}

int slp_tasklet_get_nesting_level(slp_tasklet* t) {
  static constexpr const char* op = "slp_tasklet_get_nesting_level";
  return guarded(op, -1, [&] { return tasklet_of(op, t).nesting_level(); });
}

int slp_tasklet_is_main(slp_tasklet* t) {
  static constexpr const char* op = "slp_tasklet_is_main";
  return guarded(op, -1, [&] { return as_int(tasklet_of(op, t).is_main()); });
}

int slp_tasklet_is_current(slp_tasklet* t) {
  static constexpr const char* op = "slp_tasklet_is_current";
  return guarded(op, -1,
                 [&] { return as_int(tasklet_of(op, t).is_current()); });
}

int slp_tasklet_alive(slp_tasklet* t) {
  static constexpr const char* op = "slp_tasklet_alive";
  return guarded(op, -1, [&] { return as_int(tasklet_of(op, t).alive()); });
}

int slp_tasklet_paused(slp_tasklet* t) {
  static constexpr const char* op = "slp_tasklet_paused";
  return guarded(op, -1, [&] { return as_int(tasklet_of(op, t).paused()); });
}

int slp_tasklet_scheduled(slp_tasklet* t) {
  static constexpr const char* op = "slp_tasklet_scheduled";
  return guarded(op, -1, [&] { return as_int(tasklet_of(op, t).scheduled()); });
}

int slp_tasklet_blocked(slp_tasklet* t) {
  static constexpr const char* op = "slp_tasklet_blocked";
  return guarded(op, -1, [&] { return as_int(tasklet_of(op, t).blocked()); });
}

int slp_tasklet_restorable(slp_tasklet* t) {
  static constexpr const char* op = "slp_tasklet_restorable";
  return guarded(op, -1,
                 [&] { return as_int(tasklet_of(op, t).restorable()); });
}

uint64_t slp_tasklet_id(slp_tasklet* t) {
  static constexpr const char* op = "slp_tasklet_id";
  return guarded(op, std::uint64_t{0}, [&] { return tasklet_of(op, t).id(); });
}

const char* slp_tasklet_get_name(slp_tasklet* t) {
  static constexpr const char* op = "slp_tasklet_get_name";
  return guarded(op, static_cast<const char*>(nullptr), [&] {
    // The handle is a copy; the name lives in the tasklet object, which
    // the caller's reference keeps.
    return tasklet_of(op, t).name().c_str();
  });
}

int slp_tasklet_set_name(slp_tasklet* t, const char* name) {
  static constexpr const char* op = "slp_tasklet_set_name";
  return guarded_status(op, [&] {
    slp::tasklet h = tasklet_of(op, t);
    if (name == nullptr) fail(op, "the name is NULL");
    h.set_name(name);
  });
}

slp_tasklet* slp_tasklet_next(slp_tasklet* t) {
  static constexpr const char* op = "slp_tasklet_next";
  return guarded(op, static_cast<slp_tasklet*>(nullptr),
                 [&] { return adopt(tasklet_of(op, t).next()); });
}

slp_tasklet* slp_tasklet_prev(slp_tasklet* t) {
  static constexpr const char* op = "slp_tasklet_prev";
  return guarded(op, static_cast<slp_tasklet*>(nullptr),
                 [&] { return adopt(tasklet_of(op, t).prev()); });
}

// --- channels ---

slp_channel* slp_channel_new(void) {
  static constexpr const char* op = "slp_channel_new";
  return guarded(op, static_cast<slp_channel*>(nullptr), [&] {
    return channels().enter_new(new slp_channel(slp::channel<void*>()));
  });
}

int slp_channel_send(slp_channel* ch, void* value) {
  static constexpr const char* op = "slp_channel_send";
  return guarded_status(op, [&] {
    slp::channel<void*> c = pointer_channel_of(op, ch);
    check_not_killed();
    c.send(value);
  });
}

int slp_channel_send_nice(slp_channel* ch, void* value) {
  return slp_channel_send(ch, value);
}

int slp_channel_receive(slp_channel* ch, void** value) {
  static constexpr const char* op = "slp_channel_receive";
  return guarded_status(op, [&] {
    slp::channel<void*> c = pointer_channel_of(op, ch);
    check_not_killed();
    void* received = c.receive();
    if (value != nullptr) *value = received;
  });
}

int slp_channel_receive_nice(slp_channel* ch, void** value) {
  return slp_channel_receive(ch, value);
}

int slp_channel_send_exception(slp_channel* ch, int kind, const char* message) {
  static constexpr const char* op = "slp_channel_send_exception";
  return guarded_status(op, [&] {
    slp::channel<void*> c = pointer_channel_of(op, ch);
    std::exception_ptr e = exception_of(op, kind, message);
    check_not_killed();
    c.send_exception(std::move(e));
  });
}

slp_tasklet* slp_channel_queue(slp_channel* ch) {
  static constexpr const char* op = "slp_channel_queue";
  return guarded(op, static_cast<slp_tasklet*>(nullptr), [&] {
    return adopt(slp::detail::channel_queue(*channel_of(op, ch).state()));
  });
}

int slp_channel_close(slp_channel* ch) {
  static constexpr const char* op = "slp_channel_close";
  return guarded_status(op, [&] {
    slp::detail::channel_set_closing(*channel_of(op, ch).state(), true);
  });
}

int slp_channel_open(slp_channel* ch) {
  static constexpr const char* op = "slp_channel_open";
  return guarded_status(op, [&] {
    slp::detail::channel_set_closing(*channel_of(op, ch).state(), false);
  });
}

int slp_channel_get_closing(slp_channel* ch) {
  static constexpr const char* op = "slp_channel_get_closing";
  return guarded(op, -1, [&] { return as_int(channel_of(op, ch).closing()); });
}

int slp_channel_get_closed(slp_channel* ch) {
  static constexpr const char* op = "slp_channel_get_closed";
  return guarded(op, -1, [&] { return as_int(channel_of(op, ch).closed()); });
}

int slp_channel_get_preference(slp_channel* ch) {
  static constexpr const char* op = "slp_channel_get_preference";
  return guarded(op, SLP_ERROR_VALUE,
                 [&] { return channel_of(op, ch).preference(); });
}

int slp_channel_set_preference(slp_channel* ch, int preference) {
  static constexpr const char* op = "slp_channel_set_preference";
  return guarded_status(op, [&] {
    slp::detail::channel_set_preference(*channel_of(op, ch).state(),
                                        preference);
  });
}

int slp_channel_get_schedule_all(slp_channel* ch) {
  static constexpr const char* op = "slp_channel_get_schedule_all";
  return guarded(op, -1,
                 [&] { return as_int(channel_of(op, ch).schedule_all()); });
}

int slp_channel_set_schedule_all(slp_channel* ch, int flag) {
  static constexpr const char* op = "slp_channel_set_schedule_all";
  return guarded_status(op, [&] {
    slp::detail::channel_set_schedule_all(*channel_of(op, ch).state(),
                                          flag != 0);
  });
}

int slp_channel_get_balance(slp_channel* ch) {
  static constexpr const char* op = "slp_channel_get_balance";
  return guarded(op, SLP_ERROR_VALUE,
                 [&] { return channel_of(op, ch).balance(); });
}

// --- the scheduler ---

int slp_schedule(int remove) {
  static constexpr const char* op = "slp_schedule";
  return guarded_status(op, [&] {
    check_not_killed();
    if (remove != 0) {
      slp::schedule_remove();
    } else {
      slp::schedule();
    }
  });
}

int slp_schedule_nice(int remove) { return slp_schedule(remove); }

int slp_get_run_count(void) {
  static constexpr const char* op = "slp_get_run_count";
  return guarded(op, -1, [&] { return static_cast<int>(slp::run_count()); });
}

slp_tasklet* slp_get_current(void) {
  static constexpr const char* op = "slp_get_current";
  return guarded(op, static_cast<slp_tasklet*>(nullptr),
                 [&] { return adopt(slp::current()); });
}

slp_tasklet* slp_get_main(void) {
  static constexpr const char* op = "slp_get_main";
  return guarded(op, static_cast<slp_tasklet*>(nullptr),
                 [&] { return adopt(slp::main_tasklet()); });
}

int slp_run_watchdog(long timeout, slp_tasklet** interrupted) {
  static constexpr const char* op = "slp_run_watchdog";
  return guarded_status(op, [&] { run_with(op, timeout, 0, 0, interrupted); });
}

int slp_run_watchdog_ex(long timeout, int flags, slp_tasklet** interrupted) {
  static constexpr const char* op = "slp_run_watchdog_ex";
  return guarded_status(op,
                        [&] { run_with(op, timeout, 0, flags, interrupted); });
}

int slp_run_watchdog_budget(long timeout, long long budget_ns, int flags,
                            slp_tasklet** interrupted) {
  static constexpr const char* op = "slp_run_watchdog_budget";
  return guarded_status(
      op, [&] { run_with(op, timeout, budget_ns, flags, interrupted); });
}

int slp_tick(unsigned long n) {
  static constexpr const char* op = "slp_tick";
  return guarded_status(op, [&] {
    check_not_killed();
    slp::tick(n);
  });
}

int slp_switch_trap(int delta, int* old_level) {
  static constexpr const char* op = "slp_switch_trap";
  return guarded_status(op, [&] {
    const int old = slp::switch_trap(delta);
    if (old_level != nullptr) *old_level = old;
  });
}

int slp_configure(size_t stack_size, size_t stack_count) {
  static constexpr const char* op = "slp_configure";
  return guarded_status(op, [&] {
    slp::config cfg;
    cfg.stack_size = stack_size;
    cfg.stack_count = stack_count;
    slp::configure(cfg);
  });
}

// --- monitoring hooks ---

int slp_set_channel_callback(slp_channel_callback fn, void* user) {
  static constexpr const char* op = "slp_set_channel_callback";
  return guarded_status(op, [&] {
    if (fn == nullptr) {
      slp::set_channel_callback(nullptr);
      return;
    }
    slp::set_channel_callback([fn, user](const slp::channel_ref& ch,
                                         const slp::tasklet& t, bool sending,
                                         bool will_block) {
      borrowed<slp_channel> c(adopt(ch));
      borrowed<slp_tasklet> who(adopt(t));
      fn(user, c.get(), who.get(), as_int(sending), as_int(will_block));
    });
  });
}

int slp_set_schedule_callback(slp_schedule_callback fn, void* user) {
  static constexpr const char* op = "slp_set_schedule_callback";
  return guarded_status(op, [&] {
    if (fn == nullptr) {
      slp::set_schedule_callback(nullptr);
      return;
    }
    slp::set_schedule_callback(
        [fn, user](const std::optional<slp::tasklet>& from,
                   const std::optional<slp::tasklet>& to) {
          borrowed<slp_tasklet> f(adopt(from));
          borrowed<slp_tasklet> t(adopt(to));
          fn(user, f.get(), t.get());
        });
  });
}

int slp_set_schedule_fasthook(slp_schedule_fasthook fn, void* user) {
  static constexpr const char* op = "slp_set_schedule_fasthook";
  return guarded_status(op, [&] {
    if (fn == nullptr) {
      slp::set_schedule_fasthook(nullptr, nullptr);
      return;
    }
    slp::set_schedule_fasthook(&fast_trampoline, cell_for(fn, user));
  });
}

int slp_set_error_handler(slp_error_handler fn, void* user) {
  static constexpr const char* op = "slp_set_error_handler";
  return guarded_status(op, [&] {
    if (fn == nullptr) {
      slp::set_error_handler(nullptr);
      return;
    }
    slp::set_error_handler([fn, user](std::exception_ptr e) {
      int kind = SLP_E_OTHER;
      std::string text;
      classify(std::move(e), "slp error handler", &kind, &text);
      fn(user, kind, text.c_str());
    });
  });
}

// --- calling from outside ---

int slp_has_main(void) {
  return as_int(slp::core::scheduler::if_exists() != nullptr);
}

int slp_call_main(slp_function fn, void* arg) {
  static constexpr const char* op = "slp_call_main";
  const int status = guarded_status(op, [&] {
    if (fn == nullptr) fail(op, "the function is NULL");
    (void)slp::main_tasklet();  // outside: the caller becomes main
  });
  if (status != 0) return status;
  fn(arg);
  return 0;
}

}  // extern "C"

// --- for the C API's other files (core/c_api_bridge.hpp) ---

namespace slp::core::c_bridge {

int call(const char* operation, int (*body)(void*), void* context) noexcept {
  return guarded(operation, -1, [&] { return body(context); });
}

slp::channel<void*> pointer_channel(const char* operation,
                                    const slp_channel* ch) {
  return pointer_channel_of(operation, ch);
}

void check_not_killed() { ::check_not_killed(); }

}  // namespace slp::core::c_bridge
