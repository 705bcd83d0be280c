// slp — the tasklet object behind an slp::tasklet handle.
//
// It is a context of the stack engine plus what the scheduler needs: an
// intrusive reference count, the links of the chain it is in (the
// runnables ring or a channel's queue), its flags, the exception to raise
// when it next resumes (Stackless' "bomb"), and its own C++ exception state.
#ifndef SLP_CORE_TASKLET_IMPL_HPP
#define SLP_CORE_TASKLET_IMPL_HPP

#include <atomic>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>

#include "core/context.hpp"
#include "slp/channel.hpp"
#include "slp/tasklet.hpp"

namespace slp::core {

class scheduler;
struct channel_state;

// eh_globals: the per-thread C++ exception state of the Itanium ABI
// (__cxa_eh_globals: the caught-exceptions stack and the uncaught count),
// kept per tasklet and swapped on every switch.
struct eh_globals {
  void* caught_exceptions = nullptr;
  unsigned int uncaught_exceptions = 0;
};

struct tasklet_impl : context {
  explicit tasklet_impl(scheduler* owner_scheduler);
  ~tasklet_impl();

  // Chain links: the runnables ring (circular) or a channel queue (nullptr
  // at its ends).
  tasklet_impl* next = nullptr;
  tasklet_impl* prev = nullptr;
  // Every tasklet of the thread, for the kill at thread end.
  tasklet_impl* next_of_thread = nullptr;
  tasklet_impl* prev_of_thread = nullptr;

  // The handles, plus one reference the scheduler holds while the tasklet
  // is alive (set_up): moving between the ring and channel queues never
  // touches the count.
  std::atomic<std::size_t> refs{1};
  // The scheduler of the thread the tasklet belongs to; null once that
  // thread has ended. Read by any thread; changed by bind_thread() and the
  // thread's end.
  std::atomic<scheduler*> owner;
  std::unique_ptr<detail::callable> fn;
  std::unique_ptr<detail::arguments> args;
  std::exception_ptr bomb;  // raised where the tasklet next resumes
  eh_globals eh;
  // The name, allocated by the first set_name() (most tasklets have none);
  // context::name points into it from then on.
  std::unique_ptr<std::string> name_text;
  // While blocked: the channel, and +1 (sending) or -1 (receiving). Set
  // under the channel's lock, possibly by another thread's hand-off.
  std::atomic<channel_state*> waiting_on{nullptr};
  std::atomic<std::int8_t> blocked{0};
  // (The flags sit here, in what would be padding before `mail`.)
  bool in_ring = false;
  bool set_up = false;  // alive: set up or started, not finished
  bool is_main = false;
  bool atomic = false;
  bool ignore_nesting = false;
  bool block_trap = false;
  bool waits_for_threads = false;  // inside run(threadblock)
  bool orphan = false;             // unreachable, but could not be killed yet
  int nesting = 0;
  // The mailbox: a value (or exception) sent by this tasklet while it waits
  // to send, or handed to it while it waits to receive. It lives here, not
  // on any stack.
  detail::mailbox_storage mail{};
  const detail::value_ops* mail_ops =
      nullptr;  // set while `mail` holds a value
  std::exception_ptr mail_exception;

  void clear_mail() noexcept {
    if (mail_ops != nullptr) mail_ops->destroy(mail);
    mail_ops = nullptr;
    mail_exception = nullptr;
  }

  // live_count: tasklet objects that exist now, in the whole process (for
  // the tests' leak checks).
  static std::size_t live_count() noexcept {
    return live.load(std::memory_order_relaxed);
  }
  static std::atomic<std::size_t> live;

  // name_or_empty: the name, or an empty string.
  [[nodiscard]] const std::string& name_or_empty() const noexcept {
    static const std::string none;
    return name_text != nullptr ? *name_text : none;
  }
  [[nodiscard]] bool started() const noexcept {
    return state == status::running || state == status::suspended;
  }
  [[nodiscard]] bool is_blocked() const noexcept {
    return blocked.load(std::memory_order_relaxed) != 0;
  }
  [[nodiscard]] bool scheduled() const noexcept {
    return in_ring || is_blocked();
  }
};

// add_ref / release: the intrusive reference count. When only the
// scheduler's reference is left on a paused, alive tasklet, nobody can run
// it again: release kills it (started) or discards it (API.md §3.4).
inline tasklet_impl* add_ref(tasklet_impl* t) noexcept {
  if (t != nullptr) t->refs.fetch_add(1, std::memory_order_relaxed);
  return t;
}
void release(tasklet_impl* t) noexcept;
// try_add_ref: a reference unless the last one is already gone.
inline bool try_add_ref(tasklet_impl* t) noexcept {
  std::size_t n = t->refs.load(std::memory_order_relaxed);
  while (n != 0) {
    if (t->refs.compare_exchange_weak(n, n + 1, std::memory_order_acq_rel)) {
      return true;
    }
  }
  return false;
}

}  // namespace slp::core

#endif  // SLP_CORE_TASKLET_IMPL_HPP
