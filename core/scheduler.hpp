// SPDX-License-Identifier: MIT
// slp — the per-thread scheduler: who runs next (API.md §2–§3, §5, SB
// §1.4). Created on first use in each thread; at thread end it kills the
// thread's started tasklets (API.md §3.4).
//
// It is assembled from parts, each in a file of its own: the runnables
// ring and its undo journal (core/runnables.hpp), the watchdog
// (core/watchdog.hpp), the inbox of other threads' requests and the
// thread's sleep (core/inbox.hpp), the gate through which other threads
// act on it at once (core/owner_gate.hpp), the hook dispatch
// (core/hook_set.hpp), the list of the thread's tasklets
// (core/thread_tasklets.hpp) and, once
// the thread waits on time or I/O, its reactor (core/reactor.hpp). How a
// switch happens is the stack engine's business (core/stack_engine.hpp).
//
// Waiting goes through one seam, park() and the wake calls, used by
// channels (core/channel.cpp) and by any other kind of waiting; the
// scheduler knows of a wait only its wait_site (core/wait_site.hpp).
// Every operation first checks everything that can fail, then changes the
// runnables, then switches; if the switch itself cannot happen (out of
// memory for a slice), the runnables' journal puts everything back.
//
// Where the code is: this header and core/scheduler.cpp (creation,
// switching, park and wake, the idle thread); core/operations.cpp (the
// operations of API.md §2–§3 and §5); core/tasklet_life.cpp (a tasklet's
// start, end, and death by kill or at the thread's end); core/io.cpp (the
// waits of API.md §10).
#ifndef SLP_CORE_SCHEDULER_HPP
#define SLP_CORE_SCHEDULER_HPP

#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "core/handle_access.hpp"
#include "core/hook_set.hpp"
#include "core/inbox.hpp"
#include "core/owner_gate.hpp"
#include "core/runnables.hpp"
#include "core/stack_engine.hpp"
#include "core/tasklet_impl.hpp"
#include "core/thread_tasklets.hpp"
#include "core/wait_site.hpp"
#include "core/watchdog.hpp"
#include "slp/config.hpp"
#include "slp/scheduler.hpp"

namespace slp::core {

class scheduler;
class reactor;

// The calling thread's scheduler once created. Initial-exec TLS: the
// cheapest model, which a library linked at start-up may use. __thread, not
// thread_local: a thread_local defined in another file is read through a
// check for its dynamic initialiser, at every use.
extern __thread scheduler* this_thread_scheduler
    __attribute__((tls_model("initial-exec")));

// placement: where a woken tasklet goes when its waker yields to it.
enum class placement {
  first,  // it runs now, the waker right after the others: [t, a, ..., w]
  tail    // both go to the tail; the next runnable runs (schedule_all)
};

class scheduler {
 public:
  // of_this_thread: the calling thread's scheduler, created on first use.
  static scheduler& of_this_thread() {
    scheduler* s = this_thread_scheduler;
    return s != nullptr ? *s : create_for_this_thread();
  }
  // if_exists: the calling thread's scheduler, or nullptr.
  static scheduler* if_exists() noexcept { return this_thread_scheduler; }

  scheduler();
  ~scheduler();
  scheduler(const scheduler&) = delete;
  scheduler& operator=(const scheduler&) = delete;

  [[nodiscard]] const config& configuration() const noexcept { return cfg_; }
  void configure(const config& cfg);
  // engine: the thread's stack engine, created with the configuration in
  // force when the first tasklet starts.
  stack_engine& engine() {
    return engine_ != nullptr ? *engine_ : create_engine();
  }
  void engine_forget(tasklet_impl& t) noexcept;

  [[nodiscard]] tasklet_impl& main() noexcept { return *main_; }
  // current: the tasklet executing now (during a schedule hook, the one
  // being switched away from).
  [[nodiscard]] tasklet_impl& current() noexcept { return *running_; }
  [[nodiscard]] std::size_t run_count() const noexcept { return ring_.count(); }
  [[nodiscard]] std::thread::id thread_id() const noexcept { return thread_; }
  [[nodiscard]] bool dying() const noexcept { return dying_; }
  [[nodiscard]] hook_dispatch& hooks() noexcept { return hooks_; }
  [[nodiscard]] inbox& requests() noexcept { return inbox_; }
  [[nodiscard]] thread_tasklets& tasklets() noexcept { return tasklets_; }
  // gate: other threads act on this scheduler only while its thread is
  // outside every section of it (core/owner_gate.hpp). Each entry of the
  // program into slp holds a section (owner_gate::section, or
  // enter_outermost() and leave_outermost() at the hot ones).
  [[nodiscard]] owner_gate& gate() noexcept { return gate_; }
  // leave_outermost: ends the section a hot entry point (schedule(), a
  // channel operation) began with gate().enter_outermost(), finding the
  // gate through the thread's scheduler, so that nothing is kept across
  // the operation (a frame in the slice of every tasklet waiting there).
  static void leave_outermost() noexcept {
    this_thread_scheduler->gate_.leave(false);
  }
  // outermost_section: leave_outermost() at the end of a scope, however it
  // ends (a cleanup, not a handler that rethrows: a kill unwinding through
  // it pays no second search).
  struct outermost_section {
    outermost_section() noexcept = default;
    outermost_section(const outermost_section&) = delete;
    outermost_section& operator=(const outermost_section&) = delete;
    ~outermost_section() { leave_outermost(); }
  };

  // --- the operations of API.md §2–§3 and §5 (core/operations.cpp) ---
  // Each checks everything that can fail before it changes anything.
  void insert(tasklet_impl& t);
  void remove(tasklet_impl& t);
  void run(tasklet_impl& t, bool pause_caller);
  void throw_to(tasklet_impl& t, std::exception_ptr e, bool pending);
  void schedule();
  void schedule_remove();
  std::optional<tasklet> run_watchdog(const run_options& options);
  int switch_trap(int delta) noexcept;
  // tick_exceeded: a tick() passed the watermark: interrupt the running
  // tasklet, or defer (API.md §5).
  void tick_exceeded();
  static std::function<void(std::exception_ptr)> set_error_handler(
      std::function<void(std::exception_ptr)> handler);
  static std::shared_ptr<const std::function<void(std::exception_ptr)>>
  error_handler();

  // --- the park/wake seam ---
  // check_switch: throws if no switch is allowed now (switch trap, hook).
  void check_switch(const char* operation) const {
    if (hooks_.running() || switch_trap_ > 0) refuse_switch(operation);
  }
  // park: the running tasklet waits at `site` (paused if null): it leaves
  // the runnables, `enqueue(self)` queues it at the site (and releases the
  // site's lock), and the next runnable runs, or the innermost watchdog is
  // woken, or the thread sleeps until another thread wakes something
  // (API.md §3.2). With nothing that could ever wake it: deadlock_error,
  // and nothing changed (enqueue not called). Returns once it is woken.
  template <class Enqueue>
  void park(const char* operation, wait_site* site, Enqueue&& enqueue);
  // wake: `t`, just taken out of its wait site by the site's code, becomes
  // runnable at the tail of its own thread's runnables (woken by a thread
  // that is not its own, at that thread's next scheduling point); the
  // caller continues.
  void wake(tasklet_impl& t) {
    if (t.owner.load(std::memory_order_relaxed) == this) {
      ring_.append(t);
    } else {
      inbox::post(t);
    }
  }
  // wake_here: wake() of a `t` the caller knows to be of this thread. (A
  // hand-off's common case, BM_SlpChannelPingPong: no call, so no
  // register to save.)
  void wake_here(tasklet_impl& t) noexcept { ring_.append(t); }
  // wake_and_yield: `t`, a tasklet of this thread just taken out of
  // `site`, where it `was`, by the site's code, becomes runnable as
  // `where` says, and the caller yields to it. If the switch cannot happen
  // (bad_alloc), `t` is back where it was and switch_failed() is true.
  void wake_and_yield(tasklet_impl& t, wait_site& site, wait_place was,
                      placement where);
  // cancel_wait: `t` stops waiting at its site, if it still waits (noted
  // in `tx` if there is one).
  bool cancel_wait(tasklet_impl& t,
                   runnables::transaction* tx = nullptr) noexcept;
  // switch_failed: the last switch of this thread could not happen.
  [[nodiscard]] bool switch_failed() const noexcept { return switch_failed_; }
  // release_pending: drops the references queued for after the switch
  // (mostly none: the check is inline, the work is not).
  void release_pending() noexcept {
    if (!to_release_.empty()) release_all_pending();
  }
  // --- §10: time and I/O (core/reactor.hpp, core/io.cpp) ---
  // io: the thread's reactor, created on first use; io_reactor: it, or
  // null while the thread has never used §10.
  reactor& io();
  [[nodiscard]] reactor* io_reactor() const noexcept { return io_.get(); }
  // io_waits: a tasklet of this thread waits on time or I/O.
  [[nodiscard]] bool io_waits() const noexcept;

  // --- another thread's operations on this thread's tasklets (API.md
  // §8), run by that thread through the gate (inbox::visit): each checks
  // and throws as the operation would here, then acts at once ---
  void insert_remote(tasklet_impl& t, const char* operation, bool first);
  void remove_remote(tasklet_impl& t);
  void throw_remote(tasklet_impl& t, std::exception_ptr e,
                    const char* operation);

  // drain_incoming: applies the requests other threads posted.
  void drain_incoming() {
    if (inbox_.pending()) apply_incoming();
  }

  // --- a tasklet's life (core/tasklet_life.cpp) ---
  // make_alive / make_dead: a tasklet is set up, or ends; the scheduler
  // holds a reference in between.
  void make_alive(tasklet_impl& t) noexcept;
  void make_dead(tasklet_impl& t) noexcept;
  // discard_unreachable: `t` is alive and paused, and the scheduler holds
  // the only reference: kill it, or drop it if it never started.
  void discard_unreachable(tasklet_impl& t) noexcept;
  // adopt: `t` (not started, not scheduled) moves to this thread.
  void adopt(tasklet_impl& t);
  // forget_tasklet: a tasklet object is destroyed, in any thread.
  static void forget_tasklet(tasklet_impl& t) noexcept;
  // tasklet_main: the body of every tasklet (context::body_fn).
  static void tasklet_main(context& self, void* value) noexcept;
  // How often a tasklet that catches tasklet_exit is killed again.
  static constexpr int kill_attempts = 10;

 private:
  // park_plan: what park_rare() does.
  struct park_plan {
    tasklet_impl* next = nullptr;      // runs instead; null: sleep
    tasklet_impl* fallback = nullptr;  // woken if the sleep finds nobody
    bool stay = false;  // main alone pauses: nothing happens at all
  };
  template <class Ring, class Enqueue>
  void step_out(Ring& ring, tasklet_impl& self, wait_site* site,
                Enqueue& enqueue);
  template <class Enqueue>
  [[gnu::noinline]] void park_rare(const char* operation, wait_site* site,
                                   Enqueue& enqueue);
  // plan_park: park()'s decision where its inline case does not apply
  // (nothing else runnable, a hook running, a switch trap): may throw.
  [[gnu::noinline]] park_plan plan_park(const char* operation, bool has_site);
  // sleep_parked: park's sleep until another thread makes something
  // runnable here; `fallback` (run(threadblock)'s caller) is woken if no
  // thread could.
  [[gnu::noinline]] void sleep_parked(const char* operation,
                                      tasklet_impl* fallback, bool at_site);
  // idle_until: sleeps until more than `busy` tasklets are runnable
  // (true), applying other threads' requests as they come; false when no
  // thread could ever make one runnable.
  bool idle_until(std::size_t busy);
  [[nodiscard]] bool could_be_woken() const noexcept {
    return inbox::others_could_wake() || inbox_.pending();
  }

  static scheduler& create_for_this_thread();
  [[gnu::noinline, gnu::cold]] stack_engine& create_engine();
  [[noreturn]] void refuse_switch(const char* operation) const;
  // begin: an operation whose switch can fail starts its transaction.
  runnables::transaction begin() noexcept {
    switch_failed_ = false;
    return ring_.begin();
  }
  void switch_to_current();
  [[gnu::noinline]] void schedule_after_incoming();
  // schedule_polling_io: schedule() once the thread has a reactor: due
  // timers and ready descriptors first (core/io.cpp).
  [[gnu::noinline]] void schedule_polling_io();
  [[noreturn, gnu::cold, gnu::noinline]] void fail_switch();
  void apply_incoming();
  [[gnu::noinline]] void release_all_pending() noexcept;
  // after_switch: in the tasklet just resumed: release what the switch
  // left behind, then raise its bomb if it has one.
  void after_switch() {
    ring_.commit();
    release_pending();
    if (paused_self_ != nullptr) check_paused_self();
    if (running_->bomb) raise_bomb();
  }
  [[noreturn]] void raise_bomb();
  void check_paused_self() noexcept;
  void take_soft_interrupt() noexcept {
    if (watchdog_.soft_pending) redirect_to_watchdog();
  }
  void redirect_to_watchdog() noexcept;
  [[nodiscard]] bool interrupt_deferred(const tasklet_impl& t) const noexcept;
  void pop_watchdog(tasklet_impl& caller) noexcept;

  // core/tasklet_life.cpp
  [[gnu::noinline]] static void begin_tasklet(tasklet_impl& t);
  [[gnu::noinline]] static void keep_uncaught(tasklet_impl& t) noexcept;
  [[gnu::noinline, noreturn]] static void finish_tasklet(
      tasklet_impl& t) noexcept;
  [[noreturn]] void end_tasklet(tasklet_impl& t, std::exception_ptr uncaught);
  void kill_all_at_thread_end() noexcept;

  config cfg_;
  std::unique_ptr<stack_engine> engine_;
  std::thread::id thread_;
  tasklet_impl* main_;
  tasklet_impl* running_;  // the tasklet executing now
  owner_gate gate_;
  runnables ring_;
  std::vector<tasklet_impl*> to_release_;  // released after the switch
  tasklet_impl* paused_self_ = nullptr;    // paused itself in the last switch
  inbox inbox_;
  std::vector<inbox::request> draining_;  // swapped with the inbox's list:
                                          // no allocation per batch
  watchdog watchdog_;
  int switch_trap_ = 0;
  eh_globals* eh_;  // this thread's C++ exception state
  hook_dispatch hooks_;
  tasklet_impl* switching_from_ = nullptr;  // the switch in progress
  std::exception_ptr uncaught_;      // a finishing tasklet's (keep_uncaught)
  bool switch_failed_ = false;       // the last switch could not happen
  bool preferred_hand_off_ = false;  // this switch is a channel's choice
  bool dying_ = false;
  thread_tasklets tasklets_;
  // §10: null until the thread first waits on time or I/O; schedule()
  // tests it, and nothing else on a hot path does.
  std::unique_ptr<reactor> io_;
};

// park: inline where another tasklet is runnable, no hook runs and no
// switch trap is set; park_rare decides and does the rest. The split stays
// for BM_SlpChannelPingPong (channel_bench): inline, the waiter's frame
// keeps only what it needs after the switch.
template <class Enqueue>
inline void scheduler::park(const char* operation, wait_site* site,
                            Enqueue&& enqueue) {
  tasklet_impl& self = *running_;
  if (ring_.count() <= 1 || hooks_.running() || switch_trap_ != 0) {
    park_rare(operation, site, enqueue);
    return;
  }
  tasklet_impl& next = *self.next;
  // A switch that cannot fail (no soft interrupt to redirect it, and no
  // slice to save or place) needs no journal.
  if (watchdog_.soft_pending || !stack_engine::frames_in_place(next)) {
    runnables::transaction tx = begin();
    step_out(tx, self, site, enqueue);
  } else {
    step_out(ring_, self, site, enqueue);
  }
  ring_.set_current(&next);
  switch_to_current();
}

template <class Enqueue>
void scheduler::park_rare(const char* operation, wait_site* site,
                          Enqueue& enqueue) {
  const park_plan plan = plan_park(operation, site != nullptr);
  if (plan.stay) return;
  runnables::transaction tx = begin();
  step_out(tx, *running_, site, enqueue);
  if (plan.next == nullptr) {
    sleep_parked(operation, plan.fallback, site != nullptr);
    return;
  }
  if (!plan.next->in_ring) tx.append(*plan.next);  // a watchdog, woken
  ring_.set_current(plan.next);
  switch_to_current();
}

// step_out: the running tasklet leaves the runnables (through `ring`, the
// runnables or a transaction of theirs) and waits at `site`, queued there
// by `enqueue`, or is paused.
template <class Ring, class Enqueue>
inline void scheduler::step_out(Ring& ring, tasklet_impl& self, wait_site* site,
                                Enqueue& enqueue) {
  ring.remove(self);  // before the site: both use the tasklet's links
  if (site != nullptr) {
    enqueue(self);
    ring.parked(self, *site);
  } else {
    paused_self_ = &self;
  }
}

}  // namespace slp::core

#endif  // SLP_CORE_SCHEDULER_HPP
