#include "core/scheduler.hpp"

#include <cxxabi.h>
#include <unistd.h>

#include <atomic>
#include <cstddef>
#include <cstdio>
#include <mutex>
#include <new>
#include <string>
#include <utility>

#include "core/channel_state.hpp"
#include "slp/errors.hpp"

namespace slp::core {

namespace {

// The Itanium C++ ABI keeps the caught-exception stack and the uncaught
// count in one per-thread block; slp swaps its contents on every switch so
// that each tasklet has its own (API.md §3.5).
eh_globals& thread_eh_globals() noexcept {
  return *reinterpret_cast<eh_globals*>(abi::__cxa_get_globals());
}

std::mutex error_handler_mutex;
std::shared_ptr<const std::function<void(std::exception_ptr)>>
    installed_error_handler;

bool is_tasklet_exit(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const tasklet_exit&) {
    return true;
  } catch (...) {
    return false;
  }
}

std::string message(const char* operation, const char* what) {
  return std::string(operation) + ": " + what;
}

struct scheduler_holder {
  scheduler* instance = nullptr;
  ~scheduler_holder() {
    delete instance;
    instance = nullptr;
  }
};
thread_local scheduler_holder holder;

}  // namespace

__thread scheduler* this_thread_scheduler
    __attribute__((tls_model("initial-exec"))) = nullptr;

// --- creation and the end of the thread ---

scheduler& scheduler::create_for_this_thread() {
  holder.instance = new scheduler();  // sets this_thread_scheduler first
  return *holder.instance;
}

scheduler::scheduler()
    : thread_(std::this_thread::get_id()), eh_(&thread_eh_globals()) {
  this_thread_scheduler = this;  // hooks called from here may use slp
  register_thread();
  to_release_.reserve(8);
  main_ = tasklet_impl::create(this);  // the scheduler's own reference
  main_->is_main = true;
  main_->set_up = true;
  main_->state = context::status::running;
  current_ = nullptr;
  running_ = main_;
  link_tail(*main_);
  journal_size_ = 0;
  notify_schedule(nullptr, main_);
}

scheduler::~scheduler() {
  kill_all_at_thread_end();
  dying_ = true;
  // What never started, and anything that refused to die, is discarded.
  while (current_ != nullptr) unlink(*current_);
  std::vector<tasklet_impl*> all = tasklets_snapshot();
  for (tasklet_impl* t : all) unblock_locked(*t);
  journal_size_ = 0;
  for (tasklet_impl* w : watchdogs_) to_release_.push_back(w);
  watchdogs_.clear();
  unregister_thread();  // owners are null from here on
  for (tasklet_impl* t : all) {
    if (engine_ != nullptr) engine_->forget(*t);
    t->home = nullptr;
    if (t->set_up && !t->is_main) {
      t->set_up = false;
      to_release_.push_back(t);  // the scheduler's reference
    }
    unregister_tasklet(*t);
    to_release_.push_back(t);  // the snapshot's reference
  }
  release_pending();
  main_->set_up = false;
  release(main_);
  engine_.reset();
  if (this_thread_scheduler == this) this_thread_scheduler = nullptr;
  channel_lock::thread_ends();
}

// tasklets_snapshot: every tasklet of the thread, in creation order, each
// with a reference (those already being destroyed elsewhere are skipped).
std::vector<tasklet_impl*> scheduler::tasklets_snapshot() {
  std::vector<tasklet_impl*> all;
  std::lock_guard<spinlock> lock(tasklets_lock_);
  for (tasklet_impl* t = tasklets_; t != nullptr; t = t->next_of_thread) {
    if (try_add_ref(t)) all.push_back(t);
  }
  return all;
}

void scheduler::kill_all_at_thread_end() noexcept {
  if (running_ != main_) return;  // the thread ends inside a tasklet
  switch_trap_ = 0;
  for (int pass = 0; pass < kill_attempts; ++pass) {
    std::vector<tasklet_impl*> started = tasklets_snapshot();
    bool any = false;
    for (tasklet_impl* t : started) {
      if (!t->is_main && t->started()) {
        any = true;
        try {
          throw_to(*t, std::make_exception_ptr(tasklet_exit()), false);
        } catch (...) {
          // An exception that reached main while killing: the thread is
          // ending anyway.
        }
      }
      release(t);
    }
    if (!any) return;
  }
}

// --- configuration ---

void scheduler::configure(const config& cfg) {
  if (engine_ != nullptr && engine_->started()) {
    throw error(
        "slp::configure: a tasklet of this thread has already started; "
        "configure the thread before its first tasklet runs");
  }
  stack_engine::validate(cfg);
  cfg_ = cfg;
  engine_.reset();
}

stack_engine& scheduler::create_engine() {
  engine_ = std::make_unique<stack_engine>(cfg_, &scheduler::tasklet_main);
  return *engine_;
}

// --- the ring and the references it holds ---

void scheduler::register_tasklet(tasklet_impl& t) noexcept {
  std::lock_guard<spinlock> lock(tasklets_lock_);
  // In creation order, so that the thread end kills the oldest first.
  t.prev_of_thread = tasklets_tail_;
  t.next_of_thread = nullptr;
  if (tasklets_tail_ != nullptr) {
    tasklets_tail_->next_of_thread = &t;
  } else {
    tasklets_ = &t;
  }
  tasklets_tail_ = &t;
}

void scheduler::unregister_tasklet(tasklet_impl& t) noexcept {
  std::lock_guard<spinlock> lock(tasklets_lock_);
  if (t.prev_of_thread != nullptr) {
    t.prev_of_thread->next_of_thread = t.next_of_thread;
  } else if (tasklets_ == &t) {
    tasklets_ = t.next_of_thread;
  }
  if (t.next_of_thread != nullptr) {
    t.next_of_thread->prev_of_thread = t.prev_of_thread;
  } else if (tasklets_tail_ == &t) {
    tasklets_tail_ = t.prev_of_thread;
  }
  t.next_of_thread = nullptr;
  t.prev_of_thread = nullptr;
}

void scheduler::undo() noexcept {
  if (journal_size_ > journal_capacity) {
    std::fputs("slp: fatal: cannot undo a failed switch\n", stderr);
    std::abort();
  }
  while (journal_size_ > 0) {
    const journal_entry& e = journal_[--journal_size_];
    switch (e.kind) {
      case journal_entry::linked:
        ring_remove(*e.tasklet);
        break;
      case journal_entry::unlinked:
        ring_insert_after(*e.tasklet, e.after);
        if (e.was_current) current_ = e.tasklet;
        break;
      case journal_entry::queued: {
        std::lock_guard<channel_lock> lock(e.channel->lock);
        e.channel->unlink(*e.tasklet);
        e.tasklet->waiting_on.store(nullptr, std::memory_order_relaxed);
        break;
      }
      case journal_entry::dequeued: {
        std::lock_guard<channel_lock> lock(e.channel->lock);
        e.channel->insert_after(*e.tasklet, e.after, e.direction);
        e.tasklet->waiting_on.store(e.channel, std::memory_order_relaxed);
        break;
      }
    }
  }
  current_ = journal_current_;
}

void scheduler::release_all_pending() noexcept {
  while (!to_release_.empty()) {
    tasklet_impl* t = to_release_.back();
    to_release_.pop_back();
    release(t);
  }
}

void scheduler::make_alive(tasklet_impl& t) noexcept {
  if (t.set_up) return;
  t.set_up = true;
  add_ref(&t);
}

void scheduler::make_dead(tasklet_impl& t) noexcept {
  if (!t.set_up) return;
  t.set_up = false;
  if (t.state == context::status::finished) t.slice.release();
  to_release_.push_back(&t);
}

// check_paused_self: the tasklet that paused itself in the last switch
// (schedule_remove, switch_to) may have had no handle left.
void scheduler::check_paused_self() noexcept {
  tasklet_impl* t = std::exchange(paused_self_, nullptr);
  if (t->refs.load(std::memory_order_acquire) == 1 && t->set_up &&
      !t->scheduled() && !t->is_main) {
    discard_unreachable(*t);
  }
}

void scheduler::discard_unreachable(tasklet_impl& t) noexcept {
  if (t.orphan || dying_) return;
  if (!t.started()) {  // set up but never run: it never will
    make_dead(t);
    release_pending();
    return;
  }
  if (in_hook_ || switch_trap_ > 0) {
    t.orphan = true;  // killed when the thread ends
    return;
  }
  add_ref(&t);  // keeps it while it is killed
  for (int i = 0; i < kill_attempts && t.started(); ++i) {
    try {
      throw_to(t, std::make_exception_ptr(tasklet_exit()), false);
    } catch (...) {
      break;
    }
  }
  if (t.started()) t.orphan = true;  // refused to die: the thread end tries
  release(&t);
}

// --- switching ---

void scheduler::refuse_switch(const char* operation) const {
  if (in_hook_) {
    throw error(std::string(operation) +
                ": no tasklet switch is allowed inside a hook");
  }
  throw switch_trap_error(
      std::string(operation) + ": switch_trap is set (level " +
      std::to_string(switch_trap_) + "): no tasklet switch is allowed");
}

// Only `this` is kept across the switch (prev is in switching_from_), so
// that this frame, in the slice of every tasklet that switched, is small.
// Aligned to a cache line: where the linker happened to put it moved the
// resident schedule() ping-pong by 1.5 ns (docs/PERFORMANCE.md).
[[gnu::aligned(64)]] void scheduler::switch_to_current() {
  if (current_ != running_) take_soft_interrupt();  // rarely pending
  preferred_hand_off_ = false;
  if (current_ == running_) {
    journal_size_ = 0;
    release_pending();
    return;
  }
  notify_schedule(running_, current_);
  if (watchdog_.active) rearm_watchdog();
  stack_engine& stacks = engine();
  tasklet_impl& prev = *running_;
  tasklet_impl& next = *current_;
  prev.save_exception_state(*eh_);
  next.restore_exception_state(*eh_);
  running_ = &next;
  switching_from_ = &prev;
  if (!stacks.try_transfer(prev, next)) switch_failed();
  after_switch();
}

void scheduler::switch_failed() {
  // No switch happened (no memory for a slice): put it all back. This is
  // outside any catch block, so restoring the caller's own C++ exception
  // state cannot disturb an exception being handled.
  tasklet_impl& prev = *switching_from_;
  switch_failed_ = true;
  running_ = &prev;
  prev.restore_exception_state(*eh_);
  undo();
  release_pending();
  if (watchdog_.active) rearm_watchdog();
  throw std::bad_alloc();
}

void scheduler::raise_bomb() {
  std::exception_ptr bomb = std::move(running_->bomb);
  running_->bomb = nullptr;
  std::rethrow_exception(bomb);
}

tasklet_impl& scheduler::innermost_watchdog() noexcept {
  return watchdogs_.empty() ? *main_ : *watchdogs_.back();
}

void scheduler::leave_ring(const char* operation, channel_state* ch,
                           int direction) {
  if (run_count_ <= 1 || in_hook_ || switch_trap_ > 0) {
    leave_ring_rare(operation, ch, direction);
    return;
  }
  tasklet_impl& next = *running_->next;
  // A switch that cannot fail (no soft interrupt to redirect it, and no
  // slice to save or place) needs no journal.
  const bool sure =
      !watchdog_.soft_pending && stack_engine::frames_in_place(next);
  step_out(ch, direction, sure);
  current_ = &next;  // in the ring: the successor of the tasklet leaving
  switch_to_current();
}

void scheduler::leave_ring_rare(const char* operation, channel_state* ch,
                                int direction) {
  tasklet_impl& self = *running_;
  tasklet_impl* next = nullptr;
  tasklet_impl* fallback = nullptr;  // woken if the wait turns out vain
  bool sleep = false;
  if (run_count_ > 1) {
    next = self.next;
  } else {
    tasklet_impl& watchdog = innermost_watchdog();
    if (&watchdog != &self && !watchdog.is_blocked() &&
        watchdog.waits_for_threads && could_be_woken()) {
      sleep = true;  // run(threadblock): wait for work from other threads
      fallback = &watchdog;
    } else if (&watchdog != &self && !watchdog.is_blocked()) {
      next = &watchdog;  // floating: woken, its run() returns
    } else if (&watchdog == &self && ch == nullptr) {
      return;  // main alone parks: it stays and returns at once
    } else if (could_be_woken()) {
      sleep = true;  // another thread may make something runnable
    } else {
      if (ch != nullptr) ch->lock.unlock();
      throw deadlock_error(message(
          operation, "Deadlock: the last runnable tasklet cannot be blocked."));
    }
  }
  if (in_hook_ || switch_trap_ > 0) {
    if (ch != nullptr) ch->lock.unlock();
    refuse_switch(operation);
  }
  step_out(ch, direction, false);
  if (sleep) {
    wait_for_work(operation, ch, fallback);
    return;
  }
  if (!next->in_ring) link_tail(*next);  // the watchdog, woken
  current_ = next;
  switch_to_current();
}

// step_out: leave_ring's edits: the running tasklet leaves the runnables
// and waits on `ch` (whose lock is released) or is paused. Journaled
// unless the switch that follows is `sure` not to fail.
inline void scheduler::step_out(channel_state* ch, int direction, bool sure) {
  tasklet_impl& self = *running_;
  if (sure) {
    ring_remove(self);  // before the queue: both use the tasklet's links
    if (ch != nullptr) queue(*ch, self, direction);
  } else {
    begin();
    unlink(self);
    if (ch != nullptr) enqueue(*ch, self, direction);
  }
  if (ch != nullptr) {
    ch->lock.unlock();
  } else {
    paused_self_ = &self;
  }
}

// wait_for_work: nothing can run in this thread; sleep until another
// thread makes a tasklet runnable (perhaps the sleeping one itself).
void scheduler::wait_for_work(const char* operation, channel_state* ch,
                              tasklet_impl* fallback) {
  tasklet_impl& self = *running_;
  for (;;) {
    const bool woken = idle_wait();
    drain_incoming();
    if (run_count_ > 0) break;
    if (!woken && fallback != nullptr) {  // run(threadblock) gives up
      link_tail(*fallback);
      break;
    }
    if (!woken) {  // no thread could ever wake this one: undo, then fail
      if (ch == nullptr || unblock_locked(self)) {
        ring_insert_after(self, nullptr);
        journal_size_ = 0;
        paused_self_ = nullptr;
        throw deadlock_error(
            message(operation,
                    "Deadlock: the last runnable tasklet cannot be blocked."));
      }
      // A partner in another thread took it just now: its request follows.
    }
  }
  journal_size_ = 0;
  if (current_ == &self) {  // made runnable again: no switch at all
    after_switch();
    return;
  }
  switch_to_current();
}

// --- the tasklet's life ---

// tasklet_main keeps only `t` across the callable (its frame is in every
// slice of the tasklet): the exception the callable lets out waits in the
// scheduler, and the rest is out of line.
void scheduler::tasklet_main(context& self, void*) noexcept {
  auto& t = static_cast<tasklet_impl&>(self);
  try {
    begin_tasklet(t);
    t.fn->invoke(t.args.get());
  } catch (const tasklet_exit&) {
  } catch (...) {
    keep_uncaught(t);
  }
  finish_tasklet(t);
}

void scheduler::keep_uncaught(tasklet_impl& t) noexcept {
  t.owner.load(std::memory_order_relaxed)->uncaught_ = std::current_exception();
}

void scheduler::begin_tasklet(tasklet_impl& t) {
  // Raises the bomb of a tasklet killed before it ran.
  t.owner.load(std::memory_order_relaxed)->after_switch();
}

void scheduler::finish_tasklet(tasklet_impl& t) noexcept {
  t.args.reset();
  t.fn.reset();
  scheduler& owner = *t.owner.load(std::memory_order_relaxed);
  owner.end_tasklet(t, std::exchange(owner.uncaught_, nullptr));
}

void scheduler::end_tasklet(tasklet_impl& t, std::exception_ptr uncaught) {
  if (uncaught) {
    if (auto handler = scheduler::error_handler(); handler && *handler) {
      try {
        (*handler)(uncaught);
        uncaught = nullptr;
      } catch (const tasklet_exit&) {
        uncaught = nullptr;
      } catch (...) {
        uncaught = std::current_exception();
      }
    }
  }
  drain_incoming();
  journal_size_ = 0;
  make_dead(t);  // its reference is released once we are off its stack
  t.nesting = 0;
  unlink(t);
  if (uncaught) {
    // Rethrown where the innermost watchdog (or main) is suspended.
    tasklet_impl& watchdog = innermost_watchdog();
    watchdog.bomb = std::move(uncaught);
    unblock_locked(watchdog);
    if (!watchdog.in_ring) link_tail(watchdog);
    current_ = &watchdog;
  } else if (run_count_ == 0) {
    tasklet_impl& watchdog = innermost_watchdog();
    if ((watchdog.is_blocked() || watchdog.waits_for_threads) &&
        could_be_woken()) {
      // Another thread may still wake the waiting watchdog (or main): the
      // ending tasklet's thread sleeps until something can run here.
      while (run_count_ == 0) {
        const bool woken = idle_wait();
        drain_incoming();
        if (!woken) break;
      }
    }
  }
  if (run_count_ == 0) {
    tasklet_impl& watchdog = innermost_watchdog();
    const int direction = watchdog.blocked.load(std::memory_order_relaxed);
    if (direction != 0 && unblock_locked(watchdog)) {
      watchdog.bomb = std::make_exception_ptr(deadlock_error(
          std::string(watchdog.is_main ? "the main tasklet" : "the watchdog") +
          (direction < 0 ? " is receiving without a sender available."
                         : " is sending without a receiver available.")));
    }
    if (!watchdog.in_ring) link_tail(watchdog);
  }
  take_soft_interrupt();
  journal_size_ = 0;
  tasklet_impl& next = *current_;
  notify_schedule(&t, nullptr);
  notify_schedule(nullptr, &next);
  if (watchdog_.active) rearm_watchdog();
  next.restore_exception_state(*eh_);
  running_ = &next;
  engine().finish(t, next, nullptr);
}

// --- operations ---

void scheduler::insert(tasklet_impl& t) {
  static constexpr const char* op = "slp::tasklet::insert";
  if (t.is_blocked())
    throw error(message(op, "You cannot run a blocked tasklet"));
  if (t.in_ring) return;
  if (!t.set_up) {
    throw error(message(op, "You cannot run an unbound(dead) tasklet"));
  }
  journal_size_ = 0;
  link_tail(t);
  journal_size_ = 0;
}

void scheduler::remove(tasklet_impl& t) {
  static constexpr const char* op = "slp::tasklet::remove";
  if (t.is_blocked()) {
    throw error(message(op, "You cannot remove a blocked tasklet."));
  }
  if (&t == current_) {
    throw error(message(op, "The current tasklet cannot be removed."));
  }
  if (!t.in_ring) return;
  journal_size_ = 0;
  unlink(t);
  journal_size_ = 0;
  release_pending();
}

void scheduler::run(tasklet_impl& t, bool pause_caller) {
  const char* op =
      pause_caller ? "slp::tasklet::switch_to" : "slp::tasklet::run";
  if (&t == current_) return;
  if (t.is_blocked())
    throw error(message(op, "You cannot run a blocked tasklet"));
  if (!t.set_up)
    throw error(message(op, "You cannot run an unbound(dead) tasklet"));
  check_switch(op);
  begin();
  if (!t.in_ring) link_tail(t);
  if (pause_caller) {
    paused_self_ = running_;
    unlink(*running_);
  }
  current_ = &t;
  switch_to_current();
}

void scheduler::throw_to(tasklet_impl& t, std::exception_ptr e, bool pending) {
  static constexpr const char* op = "slp::tasklet::throw_exception";
  if (!t.set_up) {
    if (is_tasklet_exit(e)) return;
    throw error(message(op, "You cannot throw to a dead tasklet"));
  }
  if (&t == running_) std::rethrow_exception(e);
  if (!pending) check_switch(op);
  begin();
  std::exception_ptr old_bomb = std::exchange(t.bomb, std::move(e));
  unblock_locked(t);
  // Delivered now, the target runs just before the caller, so that the
  // caller is next when it yields or ends (API.md §2.3).
  if (t.in_ring && !pending) unlink(t);
  if (!t.in_ring) link_tail(t);
  if (pending) {
    journal_size_ = 0;
    release_pending();
    return;
  }
  current_ = &t;
  try {
    switch_to_current();
  } catch (const std::bad_alloc&) {
    if (running_ != &t) t.bomb = std::move(old_bomb);  // the switch failed
    throw;
  }
}

// schedule keeps nothing across a call (the requests of other threads are
// applied out of line, and it then starts over), so that it needs no frame
// and ends in a jump to switch_to_current.
void scheduler::schedule() {
  if (has_incoming_.load(std::memory_order_acquire)) {
    schedule_after_incoming();
    return;
  }
  if (run_count_ == 1) return;
  check_switch("slp::schedule");
  begin();
  current_ = current_->next;
  switch_to_current();
}

void scheduler::schedule_after_incoming() {
  apply_incoming();
  schedule();
}

void scheduler::schedule_remove() {
  drain_incoming();
  leave_ring("slp::schedule_remove", nullptr, 0);
}

std::optional<tasklet> scheduler::run_watchdog(const run_options& options) {
  static constexpr const char* op = "slp::run";
  const auto budget = options.time_budget;
  if (budget.count() < 0) {
    throw error(message(op, "run_options::time_budget is negative"));
  }
  const auto now = std::chrono::steady_clock::now();
  if (budget.count() > 0 &&
      budget > std::chrono::steady_clock::time_point::max() - now) {
    throw error(message(op, "run_options::time_budget overflows the clock"));
  }
  if (in_hook_) throw error(message(op, "run() is not allowed inside a hook"));
  drain_incoming();
  tasklet_impl& caller = *running_;
  if (run_count_ == 1 && options.threadblock) {
    // Nothing here yet: wait for other threads to send work, unless no
    // thread could.
    while (run_count_ == 1 && could_be_woken()) {
      const bool woken = idle_wait();
      drain_incoming();
      if (!woken) break;
    }
  }
  if (run_count_ == 1) return std::nullopt;  // no switch: nothing to check
  check_switch(op);
  // Only the outermost run() with a timeout owns the watchdog; nested ones
  // behave as if they had none (SB §3.3).
  const bool owns_watchdog =
      !watchdog_.active && (options.timeout != 0 || budget.count() != 0);
  if (owns_watchdog) {
    watchdog_.active = true;
    watchdog_.owner = &caller;
    watchdog_.options = options;
    watchdog_.total_mark = detail::thread_ticks.count + options.timeout;
    watchdog_.deadline = now + budget;
    watchdog_.interrupted = nullptr;
    watchdog_.soft_pending = false;
  }
  begin();
  watchdogs_.push_back(add_ref(&caller));
  ++caller.nesting;
  const bool waited_for_threads =
      std::exchange(caller.waits_for_threads, options.threadblock);
  unlink(caller);
  tasklet_impl* victim = nullptr;
  try {
    switch_to_current();
  } catch (...) {
    caller.waits_for_threads = waited_for_threads;
    if (owns_watchdog) {
      victim = std::exchange(watchdog_.interrupted, nullptr);
      watchdog_.active = false;
      rearm_watchdog();
      release(victim);
    }
    pop_watchdog(caller);
    throw;
  }
  caller.waits_for_threads = waited_for_threads;
  if (owns_watchdog) {
    victim = std::exchange(watchdog_.interrupted, nullptr);
    watchdog_.active = false;
    rearm_watchdog();
  }
  pop_watchdog(caller);
  if (victim != nullptr) return handle_access::adopt(victim);  // its reference
  return std::nullopt;
}

// take_soft_interrupt: at a switch after a soft interrupt, the watchdog
// runs instead of the tasklet chosen (SB §3.5), unless a channel's
// preference chose it.
void scheduler::redirect_to_watchdog() noexcept {
  if (!watchdog_.active || preferred_hand_off_) return;
  watchdog_.soft_pending = false;
  tasklet_impl& owner = *watchdog_.owner;
  if (owner.in_ring || owner.is_blocked()) return;
  link_tail(owner);  // just before the chosen tasklet
  current_ = &owner;
}

// rearm_watchdog: where the next tick() must stop to look: a per-tasklet
// budget restarts at every switch; a total one does not; a time budget is
// checked at every tick.
void scheduler::rearm_watchdog() noexcept {
  detail::tick_counter& ticks = detail::thread_ticks;
  if (!watchdog_.active) {
    ticks.watermark = ~std::uint64_t{0};
    return;
  }
  const run_options& o = watchdog_.options;
  std::uint64_t mark = ~std::uint64_t{0};
  if (o.timeout != 0) {
    mark = o.totaltimeout ? watchdog_.total_mark : ticks.count + o.timeout;
  }
  if (o.time_budget.count() != 0) mark = ticks.count;
  ticks.watermark = mark;
}

bool scheduler::interrupt_deferred(const tasklet_impl& t) const noexcept {
  return t.atomic || switch_trap_ > 0 || in_hook_ ||
         (t.nesting > 0 && !t.ignore_nesting &&
          !watchdog_.options.ignore_nesting);
}

void scheduler::tick_exceeded() {
  detail::tick_counter& ticks = detail::thread_ticks;
  if (!watchdog_.active) {
    rearm_watchdog();
    return;
  }
  const run_options& o = watchdog_.options;
  const bool out_of_ticks =
      o.timeout != 0 &&
      ticks.count > (o.totaltimeout ? watchdog_.total_mark : ticks.watermark);
  const bool out_of_time =
      o.time_budget.count() != 0 &&
      std::chrono::steady_clock::now() >= watchdog_.deadline;
  if (!out_of_ticks && !out_of_time) {
    if (o.time_budget.count() == 0) rearm_watchdog();
    return;
  }
  tasklet_impl& victim = *running_;
  // Deferred: the watermark stays passed, so every tick looks again and the
  // first one after the condition clears interrupts.
  if (interrupt_deferred(victim)) return;
  tasklet_impl& owner = *watchdog_.owner;
  begin();
  if (o.soft) {
    // Nothing is removed: the watchdog runs at the victim's next switch,
    // in place of the tasklet that would have run.
    watchdog_.soft_pending = true;
    ticks.watermark = ~std::uint64_t{0};
    return;
  }
  {  // the victim is paused and handed to the watchdog
    watchdog_.interrupted = add_ref(&victim);
    unlink(victim);
    if (!owner.in_ring) link_tail(owner);
  }
  current_ = &owner;
  try {
    switch_to_current();
  } catch (const std::bad_alloc&) {
    if (switch_failed_) release(std::exchange(watchdog_.interrupted, nullptr));
    throw;
  }
}

void scheduler::pop_watchdog(tasklet_impl& caller) noexcept {
  --caller.nesting;  // its run() returns now
  std::size_t i = watchdogs_.size();
  while (i > 0 && watchdogs_[i - 1] != &caller) --i;
  if (i == 0) return;  // an outer watchdog woke and popped it already
  // Deeper watchdogs woken past are put back to be woken later, innermost
  // first, as Stackless pops them; their own run() has not returned yet.
  for (std::size_t j = watchdogs_.size(); j-- > i;) {
    tasklet_impl& deeper = *watchdogs_[j];
    if (!deeper.scheduled() && deeper.set_up) link_tail(deeper);
    to_release_.push_back(&deeper);
  }
  watchdogs_.resize(i - 1);
  to_release_.push_back(&caller);
  journal_size_ = 0;
  release_pending();
}

int scheduler::switch_trap(int delta) noexcept {
  const int old = switch_trap_;
  switch_trap_ += delta;
  return old;
}

// --- references ---

std::atomic<std::size_t> tasklet_impl::live{0};

namespace {
constexpr std::size_t room_offset =
    (sizeof(tasklet_impl) + detail::room_alignment - 1) &
    ~(detail::room_alignment - 1);
}  // namespace

tasklet_impl* tasklet_impl::create(scheduler* owner_scheduler,
                                   std::size_t room) {
  void* memory =
      ::operator new(room == 0 ? sizeof(tasklet_impl) : room_offset + room);
  return ::new (memory) tasklet_impl(owner_scheduler);
}

void tasklet_impl::destroy(tasklet_impl* t) noexcept {
  t->~tasklet_impl();
  ::operator delete(static_cast<void*>(t));  // unsized: the room varies
}

void* tasklet_impl::room() noexcept {
  return reinterpret_cast<unsigned char*>(this) + room_offset;
}

tasklet_impl::tasklet_impl(scheduler* owner_scheduler) noexcept
    : owner(owner_scheduler) {
  live.fetch_add(1, std::memory_order_relaxed);
  static std::atomic<std::uint64_t> next_id{1};
  id = next_id.fetch_add(1, std::memory_order_relaxed);
  if (owner_scheduler != nullptr) owner_scheduler->register_tasklet(*this);
}

tasklet_impl::~tasklet_impl() {
  live.fetch_sub(1, std::memory_order_relaxed);
  clear_mail();
  scheduler::forget_tasklet(*this);
}

void scheduler::engine_forget(tasklet_impl& t) noexcept {
  if (engine_ != nullptr) engine_->forget(t);
}

void too_many_references() noexcept {
  std::fputs("slp: fatal: 2^32 references to one tasklet\n", stderr);
  std::abort();
}

void release(tasklet_impl* t) noexcept {
  if (t == nullptr) return;
  // Read before the decrement: afterwards another thread may free `t`,
  // unless the scheduler's own reference is the one left, which only this
  // thread (its owner) can drop, and only this thread changes set_up.
  scheduler* s = t->owner.load(std::memory_order_relaxed);
  const bool alive_here =
      s != nullptr && s == scheduler::if_exists() && t->set_up && !t->is_main;
  const std::size_t before = t->refs.fetch_sub(1, std::memory_order_acq_rel);
  if (before == 1) {
    tasklet_impl::destroy(t);
    return;
  }
  // Only the scheduler's reference is left: if nothing can run the
  // tasklet again, the scheduler disposes of it (API.md §3.4).
  if (before == 2 && alive_here && !t->scheduled()) s->discard_unreachable(*t);
}

// --- process-wide ---

std::shared_ptr<const std::function<void(std::exception_ptr)>>
scheduler::error_handler() {
  std::lock_guard<std::mutex> lock(error_handler_mutex);
  return installed_error_handler;
}

std::function<void(std::exception_ptr)> scheduler::set_error_handler(
    std::function<void(std::exception_ptr)> handler) {
  auto fresh =
      handler ? std::make_shared<const std::function<void(std::exception_ptr)>>(
                    std::move(handler))
              : nullptr;
  std::lock_guard<std::mutex> lock(error_handler_mutex);
  auto old = std::exchange(installed_error_handler, std::move(fresh));
  return old ? *old : std::function<void(std::exception_ptr)>();
}

}  // namespace slp::core
