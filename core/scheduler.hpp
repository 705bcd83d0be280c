// slp — the per-thread scheduler: the runnables ring, the watchdog stack,
// the switch-trap level, and every operation that decides who runs next
// (API.md §2–§3, SB §1.4). Created on first use in each thread; at thread
// end it kills the thread's started tasklets (API.md §3.4).
//
// Who runs is decided here; how the switch happens is the stack engine's
// business. Every operation first checks everything that can fail, then
// changes the ring, then switches; if the switch itself cannot happen
// (out of memory for a slice), the journal puts the ring back.
#ifndef SLP_CORE_SCHEDULER_HPP
#define SLP_CORE_SCHEDULER_HPP

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "core/channel_state.hpp"
#include "core/handle_access.hpp"
#include "core/hook_set.hpp"
#include "core/spinlock.hpp"
#include "core/stack_engine.hpp"
#include "core/tasklet_impl.hpp"
#include "slp/config.hpp"
#include "slp/scheduler.hpp"

namespace slp::core {

class scheduler;

// The calling thread's scheduler once created. Initial-exec TLS: one load,
// no __tls_get_addr call, even in position-independent code. __thread, not
// thread_local: a thread_local defined in another file is read through a
// check for its dynamic initialiser, at every use.
extern __thread scheduler* this_thread_scheduler
    __attribute__((tls_model("initial-exec")));

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
  [[nodiscard]] std::size_t run_count() const noexcept { return run_count_; }
  [[nodiscard]] std::thread::id thread_id() const noexcept { return thread_; }
  [[nodiscard]] bool dying() const noexcept { return dying_; }

  // The operations of API.md §2–§3 on tasklets of this scheduler. Each
  // checks everything that can fail before it changes anything.
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

  // block_current: the running tasklet waits on `ch` (direction +1 send,
  // -1 receive): it is queued there and the next runnable runs, or the
  // innermost watchdog is woken (API.md §3.2). Throws deadlock_error, with
  // nothing changed, when no one could wake it.
  void block_current(const char* operation, channel_state& ch, int direction) {
    leave_ring(operation, &ch, direction);
  }
  // channel_action: a send (direction +1) or receive (-1) on `ch` by the
  // running tasklet of the calling thread (core/channel.cpp). `data` is the
  // sender's T (null with `exception`) or the receiver's std::optional<T>:
  // one pointer, so that every call on the path passes its arguments in
  // registers.
  static void channel_action(channel_state& ch, int direction,
                             const detail::value_ops& ops, void* data,
                             const std::exception_ptr* exception);
  // --- threads (core/threads.cpp) ---
  // A request from another thread, applied by this scheduler's thread.
  struct remote_request {
    enum kind_t { make_runnable, run_next, deliver, pause } kind;
    tasklet_impl* tasklet;  // carries a reference
    std::exception_ptr exception;
  };
  // post_to_owner: asks the thread `t` belongs to to act on it; nothing
  // happens if that thread has ended.
  static void post_to_owner(tasklet_impl& t, remote_request::kind_t kind,
                            std::exception_ptr e = nullptr);
  // drain_incoming: applies the requests other threads posted.
  void drain_incoming() {
    if (has_incoming_.load(std::memory_order_acquire)) apply_incoming();
  }
  // unblock_locked: takes `t` off its channel (under the channel's lock) if
  // it still waits there.
  bool unblock_locked(tasklet_impl& t) noexcept;

  // check_switch: throws if no switch is allowed now (switch trap, hook).
  void check_switch(const char* operation) const {
    if (in_hook_ || switch_trap_ > 0) refuse_switch(operation);
  }

  // make_alive / make_dead: a tasklet is set up, or ends; the scheduler
  // holds a reference in between.
  void make_alive(tasklet_impl& t) noexcept;
  void make_dead(tasklet_impl& t) noexcept;
  // release_pending: drops the references queued for after the switch
  // (mostly none: the check is inline, the work is not).
  void release_pending() noexcept {
    if (!to_release_.empty()) release_all_pending();
  }
  [[gnu::noinline]] void release_all_pending() noexcept;
  // discard_unreachable: `t` is alive and paused, and the scheduler holds
  // the only reference: kill it, or drop it if it never started.
  void discard_unreachable(tasklet_impl& t) noexcept;

  void register_tasklet(tasklet_impl& t) noexcept;
  void unregister_tasklet(tasklet_impl& t) noexcept;
  std::vector<tasklet_impl*> tasklets_snapshot();
  // adopt: `t` (not started, not scheduled) moves to this thread.
  void adopt(tasklet_impl& t);
  // forget_tasklet: a tasklet object is destroyed, in any thread.
  static void forget_tasklet(tasklet_impl& t) noexcept;

  // tasklet_main: the body of every tasklet (context::body_fn).
  static void tasklet_main(context& self, void* value) noexcept;
  [[gnu::noinline]] static void begin_tasklet(tasklet_impl& t);
  // keep_uncaught: in tasklet_main's catch, keeps the exception for
  // finish_tasklet (no switch comes between).
  [[gnu::noinline]] static void keep_uncaught(tasklet_impl& t) noexcept;
  [[gnu::noinline, noreturn]] static void finish_tasklet(
      tasklet_impl& t) noexcept;

  // How often a tasklet that catches tasklet_exit is killed again.
  static constexpr int kill_attempts = 10;

 private:
  // Ring and queue moves (references are not touched).
  void ring_insert_after(tasklet_impl& t, tasklet_impl* after) noexcept;
  void ring_remove(tasklet_impl& t) noexcept;
  void ring_append(tasklet_impl& t) noexcept;
  void link_tail(tasklet_impl& t) noexcept;
  void unlink(tasklet_impl& t) noexcept;
  void link_after_current(tasklet_impl& t) noexcept;
  void enqueue(channel_state& ch, tasklet_impl& t, int direction) noexcept;
  // queue: enqueue without a journal entry, for a switch that cannot fail.
  void queue(channel_state& ch, tasklet_impl& t, int direction) noexcept;
  void unblock(tasklet_impl& t) noexcept;
  // dequeue: unblock without a journal entry, for a change that is not
  // followed by a switch, so never undone.
  void dequeue(tasklet_impl& t) noexcept;

  static scheduler& create_for_this_thread();
  [[gnu::noinline, gnu::cold]] stack_engine& create_engine();
  [[noreturn]] void refuse_switch(const char* operation) const;
  void switch_to_current();
  [[gnu::noinline]] void schedule_after_incoming();
  [[noreturn, gnu::cold, gnu::noinline]] void switch_failed();
  // leave_ring: the running tasklet stops being runnable: it waits on `ch`
  // (whose lock the caller holds; released here) or is paused (ch null).
  // The next runnable runs, or the innermost watchdog is woken, or the
  // thread sleeps until another thread makes something runnable; with
  // nothing that could ever wake it, deadlock_error and nothing changed.
  // Inline of the common case (a runnable to switch to, no hook, no trap),
  // which needs no register saved; leave_ring_rare does the rest.
  void leave_ring(const char* operation, channel_state* ch, int direction);
  [[gnu::noinline]] void leave_ring_rare(const char* operation,
                                         channel_state* ch, int direction);
  void step_out(channel_state* ch, int direction, bool sure);
  void wait_for_work(const char* operation, channel_state* ch,
                     tasklet_impl* fallback = nullptr);
  void register_thread();
  void unregister_thread() noexcept;
  static bool others_could_wake() noexcept;
  // could_be_woken: another thread could still make something runnable
  // here, or already has: a request waits in the inbox (its poster may
  // have ended since, so others_could_wake() alone would miss it).
  bool could_be_woken() const noexcept {
    return others_could_wake() || has_incoming_.load(std::memory_order_acquire);
  }
  void apply_incoming();
  bool idle_wait();
  bool spin_for_incoming() noexcept;
  void wake() noexcept;
  // after_switch: in the tasklet just resumed: release what the switch
  // left behind, then raise its bomb if it has one.
  void after_switch() {
    journal_size_ = 0;
    release_pending();
    if (paused_self_ != nullptr) check_paused_self();
    if (running_->bomb) raise_bomb();
  }
  [[noreturn]] void raise_bomb();
  void check_paused_self() noexcept;
  // channel_action_rare: channel_action where its fast path would call.
  [[gnu::noinline]] static void channel_action_rare(
      channel_state& ch, int direction, const detail::value_ops& ops,
      void* data, const std::exception_ptr* exception);
  // meet: channel_action under the channel's lock.
  void meet(channel_state& ch, int direction, const detail::value_ops& ops,
            void* data, const std::exception_ptr* exception);
  // hand_off / wait_on: the two outcomes of channel_action, out of line so
  // that it stays a small function that tail-calls one of them.
  [[gnu::noinline]] void hand_off(channel_state& ch, int direction,
                                  const detail::value_ops& ops, void* data,
                                  const std::exception_ptr* exception);
  [[gnu::noinline]] void hand_off_general(channel_state& ch, int direction,
                                          const detail::value_ops& ops,
                                          void* data,
                                          const std::exception_ptr* exception);
  void let_partner_go(channel_state& ch, tasklet_impl& partner, bool local);
  template <int Direction>
  [[gnu::noinline]] void wait_on(channel_state& ch,
                                 const detail::value_ops& ops, void* data,
                                 const std::exception_ptr* exception);
  [[gnu::noinline]] static void post_own_mail(
      channel_state& ch, tasklet_impl& self, const detail::value_ops& ops,
      void* data, const std::exception_ptr* exception);
  [[noreturn, gnu::cold, gnu::noinline]] static void refuse_to_wait(
      channel_state& ch, const tasklet_impl& self, const char* operation);
  void take_mail(tasklet_impl& self, const detail::value_ops& ops, void* out,
                 const char* operation);
  [[noreturn, gnu::cold, gnu::noinline]] static void raise_mail(
      tasklet_impl& self, const char* operation);
  // The hooks of <slp/hooks.hpp>, with switches and channel operations
  // refused while one runs.
  void notify_channel(channel_state& ch, tasklet_impl& t, bool sending,
                      bool will_block);
  void notify_schedule(tasklet_impl* from, tasklet_impl* to) noexcept {
    const hook_set* h = published_hooks.load(std::memory_order_acquire);
    if (h == nullptr) return;
    if (h->schedule) {
      call_schedule_hooks(*h, from, to);
    } else if (h->fast.fn != nullptr) {  // the fast hook alone: inline
      in_hook_ = true;
      h->fast.fn(h->fast.user, handle_access::view(from),
                 handle_access::view(to));
      in_hook_ = false;
    }
  }
  void call_schedule_hooks(const hook_set& h, tasklet_impl* from,
                           tasklet_impl* to) noexcept;
  [[noreturn]] void end_tasklet(tasklet_impl& t, std::exception_ptr uncaught);
  tasklet_impl& innermost_watchdog() noexcept;
  void pop_watchdog(tasklet_impl& caller) noexcept;
  void kill_all_at_thread_end() noexcept;
  void rearm_watchdog() noexcept;
  void take_soft_interrupt() noexcept {
    if (watchdog_.soft_pending) redirect_to_watchdog();
  }
  void redirect_to_watchdog() noexcept;
  [[nodiscard]] bool interrupt_deferred(const tasklet_impl& t) const noexcept;

  // The journal of ring and queue changes since the operation began,
  // undone if the switch cannot happen (out of memory for a slice). Each
  // kind uses only some of the fields; undo() reads no others.
  struct journal_entry {
    enum kind_t { linked, unlinked, queued, dequeued } kind;
    tasklet_impl* tasklet;
    tasklet_impl* after;     // unlinked, dequeued: the predecessor it had
    channel_state* channel;  // queued, dequeued
    bool was_current;        // unlinked
    int direction;           // dequeued
  };
  static constexpr std::size_t journal_capacity = 6;
  void begin() noexcept {
    switch_failed_ = false;
    journal_size_ = 0;
    journal_current_ = current_;
  }
  // record: a new entry of `kind` for `t`; the caller fills in the fields
  // that kind needs. Null once the journal is full, which disables undo.
  journal_entry* record(journal_entry::kind_t kind, tasklet_impl& t) noexcept;
  void undo() noexcept;

  config cfg_;
  std::unique_ptr<stack_engine> engine_;
  std::thread::id thread_;
  tasklet_impl* main_;
  tasklet_impl* current_;  // head of the runnables ring
  tasklet_impl* running_;  // the tasklet executing now
  std::size_t run_count_ = 0;
  std::vector<tasklet_impl*> watchdogs_;   // inside run(), innermost last
  std::vector<tasklet_impl*> to_release_;  // released after the switch
  tasklet_impl* paused_self_ = nullptr;    // paused itself in the last switch
  // The inbox of requests from other threads.
  std::mutex remote_mutex_;
  std::vector<remote_request> incoming_;  // under remote_mutex_
  std::vector<remote_request> draining_;  // swapped with incoming_: no
                                          // allocation per request batch
  std::atomic<bool> has_incoming_{false};
  // 1 while asleep in idle_wait(), a futex word: whoever sets it to 0
  // wakes the thread.
  std::atomic<std::uint32_t> sleep_word_{0};
  // Counted in the registry's idle. Set and cleared under the registry's
  // mutex; read without it by the thread itself, to skip that mutex when
  // a poster has already counted it awake.
  std::atomic<bool> counted_idle_{false};
  // Posters between releasing the registry's mutex and notifying
  // sleep_word_: the scheduler is not destroyed while there are any.
  std::atomic<int> notifying_{0};
  // How long idle_wait() polls the inbox before sleeping (adaptive).
  std::uint32_t spin_ns_ = max_spin_ns;
  static constexpr std::uint32_t min_spin_ns = 1'000;
  static constexpr std::uint32_t max_spin_ns = 32'000;
  // The watchdog of the outermost run() with a timeout or time budget.
  struct watchdog_state {
    bool active = false;
    tasklet_impl* owner = nullptr;  // the tasklet inside that run()
    run_options options;
    std::uint64_t total_mark = 0;  // totaltimeout: the budget's end
    std::chrono::steady_clock::time_point deadline{};
    tasklet_impl* interrupted = nullptr;  // the victim of a hard interrupt
    bool soft_pending = false;  // a soft interrupt waits for the next switch
  };
  watchdog_state watchdog_;
  int switch_trap_ = 0;
  eh_globals* eh_;  // this thread's C++ exception state
  bool in_hook_ = false;
  tasklet_impl* switching_from_ = nullptr;  // the switch in progress
  std::exception_ptr uncaught_;      // a finishing tasklet's (keep_uncaught)
  bool switch_failed_ = false;       // the last switch could not happen
  bool preferred_hand_off_ = false;  // this switch is a channel's choice
  bool dying_ = false;
  spinlock tasklets_lock_;            // handles may be dropped in other threads
  tasklet_impl* tasklets_ = nullptr;  // every tasklet of the thread
  tasklet_impl* tasklets_tail_ = nullptr;
  journal_entry journal_[journal_capacity];
  std::size_t journal_size_ = 0;
  tasklet_impl* journal_current_ = nullptr;
};

// --- ring and queue moves: inline, they are on every channel operation ---

inline void scheduler::ring_insert_after(tasklet_impl& t,
                                         tasklet_impl* after) noexcept {
  if (after == nullptr) {
    t.next = &t;
    t.prev = &t;
    current_ = &t;
  } else {
    t.prev = after;
    t.next = after->next;
    after->next->prev = &t;
    after->next = &t;
  }
  t.in_ring = true;
  ++run_count_;
}

inline void scheduler::ring_remove(tasklet_impl& t) noexcept {
  if (t.next == &t) {
    current_ = nullptr;
  } else {
    t.prev->next = t.next;
    t.next->prev = t.prev;
    if (current_ == &t) current_ = t.next;
  }
  t.next = nullptr;
  t.prev = nullptr;
  t.in_ring = false;
  --run_count_;
}

inline void scheduler::ring_append(tasklet_impl& t) noexcept {
  ring_insert_after(t, current_ != nullptr ? current_->prev : nullptr);
}

inline void scheduler::link_tail(tasklet_impl& t) noexcept {
  ring_append(t);
  record(journal_entry::linked, t);
}

inline void scheduler::unlink(tasklet_impl& t) noexcept {
  tasklet_impl* after = t.next == &t ? nullptr : t.prev;
  const bool was_current = current_ == &t;
  ring_remove(t);
  if (journal_entry* e = record(journal_entry::unlinked, t)) {
    e->after = after;
    e->was_current = was_current;
  }
}

inline void scheduler::link_after_current(tasklet_impl& t) noexcept {
  ring_insert_after(t, current_);
  record(journal_entry::linked, t);
}

inline void scheduler::enqueue(channel_state& ch, tasklet_impl& t,
                               int direction) noexcept {
  queue(ch, t, direction);
  if (journal_entry* e = record(journal_entry::queued, t)) e->channel = &ch;
}

inline void scheduler::queue(channel_state& ch, tasklet_impl& t,
                             int direction) noexcept {
  ch.append(t, direction);
  t.waiting_on.store(&ch, std::memory_order_relaxed);
}

inline void scheduler::unblock(tasklet_impl& t) noexcept {
  channel_state& ch = *t.waiting_on.load(std::memory_order_relaxed);
  tasklet_impl* after = t.prev;
  const int direction = t.blocked.load(std::memory_order_relaxed);
  dequeue(t);
  if (journal_entry* e = record(journal_entry::dequeued, t)) {
    e->after = after;
    e->channel = &ch;
    e->direction = direction;
  }
}

inline void scheduler::dequeue(tasklet_impl& t) noexcept {
  t.waiting_on.load(std::memory_order_relaxed)->unlink(t);
  t.waiting_on.store(nullptr, std::memory_order_relaxed);
}

inline scheduler::journal_entry* scheduler::record(journal_entry::kind_t kind,
                                                   tasklet_impl& t) noexcept {
  if (journal_size_ >= journal_capacity) {
    ++journal_size_;  // an overflow disables undo (checked there)
    return nullptr;
  }
  journal_entry& e = journal_[journal_size_++];
  e.kind = kind;
  e.tasklet = &t;
  return &e;
}

}  // namespace slp::core

#endif  // SLP_CORE_SCHEDULER_HPP
