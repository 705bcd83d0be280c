// SPDX-License-Identifier: MIT
// slp — the scheduler's operations of API.md §2–§3 and §5: insert,
// remove, run, switch_to, throw_exception and kill on a tasklet of this
// thread, schedule(), schedule_remove(), run() with its watchdog, tick(),
// the switch trap, and the process's error handler.
#include <mutex>
#include <string>
#include <utility>

#include "core/scheduler.hpp"
#include "slp/errors.hpp"

namespace slp::core {

namespace {

std::string message(const char* operation, const char* what) {
  return std::string(operation) + ": " + what;
}

std::mutex error_handler_mutex;
std::shared_ptr<const std::function<void(std::exception_ptr)>>
    installed_error_handler;

}  // namespace

void scheduler::insert(tasklet_impl& t) {
  owner_gate::section inside(gate_);
  static constexpr const char* op = "slp::tasklet::insert";
  if (t.is_blocked())
    throw error(message(op, "You cannot run a blocked tasklet"));
  if (t.in_ring) return;
  if (!t.set_up) {
    throw error(message(op, "You cannot run an unbound(dead) tasklet"));
  }
  ring_.append(t);
}

void scheduler::remove(tasklet_impl& t) {
  owner_gate::section inside(gate_);
  static constexpr const char* op = "slp::tasklet::remove";
  if (t.is_blocked()) {
    throw error(message(op, "You cannot remove a blocked tasklet."));
  }
  if (&t == ring_.current()) {
    throw error(message(op, "The current tasklet cannot be removed."));
  }
  if (!t.in_ring) return;
  ring_.remove(t);
  release_pending();
}

void scheduler::run(tasklet_impl& t, bool pause_caller) {
  owner_gate::section inside(gate_);
  const char* op =
      pause_caller ? "slp::tasklet::switch_to" : "slp::tasklet::run";
  if (&t == ring_.current()) return;
  if (t.is_blocked())
    throw error(message(op, "You cannot run a blocked tasklet"));
  if (!t.set_up)
    throw error(message(op, "You cannot run an unbound(dead) tasklet"));
  check_switch(op);
  runnables::transaction tx = begin();
  if (!t.in_ring) tx.append(t);
  if (pause_caller) {
    paused_self_ = running_;
    tx.remove(*running_);
  }
  ring_.set_current(&t);
  switch_to_current();
}

void scheduler::throw_to(tasklet_impl& t, std::exception_ptr e, bool pending) {
  owner_gate::section inside(gate_);
  static constexpr const char* op = "slp::tasklet::throw_exception";
  if (!t.set_up) {
    if (is_tasklet_exit(e)) return;
    throw error(message(op, "You cannot throw to a dead tasklet"));
  }
  if (&t == running_) std::rethrow_exception(e);
  if (pending) {  // no switch follows: nothing to journal
    t.bomb = std::move(e);
    cancel_wait(t);
    if (!t.in_ring) ring_.append(t);
    release_pending();
    return;
  }
  check_switch(op);
  runnables::transaction tx = begin();
  std::exception_ptr old_bomb = std::exchange(t.bomb, std::move(e));
  cancel_wait(t, &tx);
  // Delivered now, the target runs just before the caller, so that the
  // caller is next when it yields or ends (API.md §2.3).
  if (t.in_ring) tx.remove(t);
  tx.append(t);
  ring_.set_current(&t);
  try {
    switch_to_current();
  } catch (const std::bad_alloc&) {
    if (running_ != &t) t.bomb = std::move(old_bomb);  // the switch failed
    throw;
  }
}

// schedule keeps nothing across a call (the requests of other threads are
// applied out of line, and it then starts over), so that it adds nothing
// to the slice of a tasklet that schedules.
void scheduler::schedule() {
  if (inbox_.pending()) {
    schedule_after_incoming();
    return;
  }
  if (io_ != nullptr) {  // §10 in use: timers and descriptors first
    schedule_polling_io();
    return;
  }
  if (ring_.count() == 1) return;
  check_switch("slp::schedule");
  (void)begin();  // only the head changes: undo() restores it
  ring_.set_current(ring_.current()->next);
  switch_to_current();
}

void scheduler::schedule_after_incoming() {
  apply_incoming();
  schedule();
}

// Its section is its entry point's (core/scheduler_api.cpp).
void scheduler::schedule_remove() {
  drain_incoming();
  park("slp::schedule_remove", nullptr, [](tasklet_impl&) {});
}

int scheduler::switch_trap(int delta) noexcept {
  const int old = switch_trap_;
  switch_trap_ += delta;
  return old;
}

// --- run() and the watchdog ---

std::optional<tasklet> scheduler::run_watchdog(const run_options& options) {
  static constexpr const char* op = "slp::run";
  owner_gate::section inside(gate_);
  const auto budget = options.time_budget;
  if (budget.count() < 0) {
    throw error(message(op, "run_options::time_budget is negative"));
  }
  const auto now = std::chrono::steady_clock::now();
  if (budget.count() > 0 &&
      budget > std::chrono::steady_clock::time_point::max() - now) {
    throw error(message(op, "run_options::time_budget overflows the clock"));
  }
  if (hooks_.running()) {
    throw error(message(op, "run() is not allowed inside a hook"));
  }
  drain_incoming();
  tasklet_impl& caller = *running_;
  // Nothing here yet: wait for other threads to send work, unless no
  // thread could.
  if (ring_.count() == 1 && options.threadblock && could_be_woken()) {
    idle_until(1);
  }
  // §10: run() waits for tasklets that wait on time or I/O.
  if (ring_.count() == 1 && io_ != nullptr && io_waits()) idle_until(1);
  if (ring_.count() == 1) return std::nullopt;  // no switch: nothing to check
  check_switch(op);
  // Only the outermost run() with a timeout owns the watchdog; nested ones
  // behave as if they had none (SB §3.3).
  const bool owns_watchdog =
      !watchdog_.active() && (options.timeout != 0 || budget.count() != 0);
  if (owns_watchdog) watchdog_.arm(caller, options, now);
  runnables::transaction tx = begin();
  watchdog_.push(*add_ref(&caller));
  ++caller.nesting;
  const bool waited_for_threads =
      std::exchange(caller.waits_for_threads, options.threadblock);
  tx.remove(caller);
  try {
    switch_to_current();
  } catch (...) {
    caller.waits_for_threads = waited_for_threads;
    if (owns_watchdog) release(watchdog_.disarm());
    pop_watchdog(caller);
    throw;
  }
  caller.waits_for_threads = waited_for_threads;
  tasklet_impl* victim = owns_watchdog ? watchdog_.disarm() : nullptr;
  pop_watchdog(caller);
  if (victim != nullptr) return handle_access::adopt(victim);
  return std::nullopt;
}

// redirect_to_watchdog: at a switch after a soft interrupt, the watchdog
// runs instead of the tasklet chosen (SB §3.5), unless a channel's
// preference chose it.
void scheduler::redirect_to_watchdog() noexcept {
  if (!watchdog_.active() || preferred_hand_off_) return;
  watchdog_.soft_pending = false;
  tasklet_impl& owner = watchdog_.owner();
  if (owner.in_ring || owner.is_blocked()) return;
  // Just before the chosen tasklet; undone with the switch's transaction.
  if (ring_.open()) {
    runnables::transaction(ring_).append(owner);
  } else {
    ring_.append(owner);
  }
  ring_.set_current(&owner);
}

bool scheduler::interrupt_deferred(const tasklet_impl& t) const noexcept {
  return t.atomic || switch_trap_ > 0 || hooks_.running() ||
         (t.nesting > 0 && !t.ignore_nesting &&
          !watchdog_.options().ignore_nesting);
}

void scheduler::tick_exceeded() {
  if (!watchdog_.exhausted()) return;
  owner_gate::section inside(gate_);
  tasklet_impl& victim = *running_;
  // Deferred: the watermark stays passed, so every tick looks again and the
  // first one after the condition clears interrupts.
  if (interrupt_deferred(victim)) return;
  if (watchdog_.options().soft) {
    // Nothing is removed: the watchdog runs at the victim's next switch,
    // in place of the tasklet that would have run.
    watchdog_.soft_pending = true;
    detail::thread_ticks.watermark = ~std::uint64_t{0};
    return;
  }
  tasklet_impl& owner = watchdog_.owner();
  runnables::transaction tx = begin();
  // The victim is paused and handed to the watchdog.
  watchdog_.interrupted = add_ref(&victim);
  tx.remove(victim);
  if (!owner.in_ring) tx.append(owner);
  ring_.set_current(&owner);
  try {
    switch_to_current();
  } catch (const std::bad_alloc&) {
    if (switch_failed_) release(std::exchange(watchdog_.interrupted, nullptr));
    throw;
  }
}

void scheduler::pop_watchdog(tasklet_impl& caller) noexcept {
  --caller.nesting;  // its run() returns now
  std::vector<tasklet_impl*>& callers = watchdog_.callers();
  std::size_t i = callers.size();
  while (i > 0 && callers[i - 1] != &caller) --i;
  if (i == 0) return;  // an outer watchdog woke and popped it already
  // Deeper watchdogs woken past are put back to be woken later, innermost
  // first, as Stackless pops them; their own run() has not returned yet.
  for (std::size_t j = callers.size(); j-- > i;) {
    tasklet_impl& deeper = *callers[j];
    if (!deeper.scheduled() && deeper.set_up) ring_.append(deeper);
    to_release_.push_back(&deeper);
  }
  callers.resize(i - 1);
  to_release_.push_back(&caller);
  release_pending();
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
