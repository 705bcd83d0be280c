// SPDX-License-Identifier: MIT
// slp — a tasklet's life as the scheduler sees it: set up, started (the
// body every tasklet runs), ended (its exception to the innermost
// watchdog), discarded or killed when nothing can reach it any more, moved
// to another thread, and killed at its thread's end (API.md §3.3–§3.4).
#include <string>
#include <utility>

#include "core/debug.hpp"
#include "core/scheduler.hpp"
#include "slp/errors.hpp"

namespace slp::core {

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
  owner_gate::section inside(gate_);
  if (!t.started()) {  // set up but never run: it never will
    make_dead(t);
    release_pending();
    return;
  }
  if (hooks_.running() || switch_trap_ > 0) {
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

void scheduler::kill_all_at_thread_end() noexcept {
  if (running_ != main_) return;  // the thread ends inside a tasklet
  switch_trap_ = 0;
  for (int pass = 0; pass < kill_attempts; ++pass) {
    std::vector<tasklet_impl*> started = tasklets_.snapshot();
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

// --- threads ---

void scheduler::adopt(tasklet_impl& t) {
  auto lock = inbox::hold_threads();  // its old scheduler stays
  scheduler* old = t.owner.load(std::memory_order_relaxed);
  if (old == this) return;
  if (old != nullptr) old->tasklets_.remove(t);
  t.home = nullptr;  // a new thread, new execution stacks
  t.state = context::status::fresh;
  t.owner.store(this, std::memory_order_relaxed);
  tasklets_.add(t);
}

void scheduler::forget_tasklet(tasklet_impl& t) noexcept {
  scheduler* s = t.owner.load(std::memory_order_relaxed);
  if (s == nullptr) return;
  if (s == this_thread_scheduler) {
    s->engine_forget(t);
    s->tasklets_.remove(t);
    return;
  }
  // Another thread's tasklet: its scheduler cannot end while we hold this.
  auto lock = inbox::hold_threads();
  s = t.owner.load(std::memory_order_relaxed);
  if (s != nullptr) s->tasklets_.remove(t);
}

// --- the body of every tasklet ---

// tasklet_main keeps only `t` across the callable (its frame is in every
// slice of the tasklet): the exception the callable lets out waits in the
// scheduler, and the rest is out of line.
void scheduler::tasklet_main(context& self, void*) noexcept {
  auto& t = static_cast<tasklet_impl&>(self);
  try {
    begin_tasklet(t);
    t.entered = true;
    // The switch here was inside a section: the program's code is not.
    this_thread_scheduler->gate_.leave(false);
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
  // Back inside, for good: the switch in end_tasklet hands the section on.
  (void)owner.gate_.enter();
  owner.end_tasklet(t, std::exchange(owner.uncaught_, nullptr));
}

// end_tasklet: `t` has returned (or let out `uncaught`): it leaves the
// runnables for good and the next tasklet runs; an uncaught exception is
// raised in the innermost watchdog (or main).
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
  make_dead(t);  // its reference is released once we are off its stack
  t.nesting = 0;
  ring_.remove(t);
  tasklet_impl& watchdog = watchdog_.innermost(*main_);
  if (uncaught) {
    // Rethrown where the innermost watchdog (or main) is suspended.
    watchdog.bomb = std::move(uncaught);
    cancel_wait(watchdog);
    if (!watchdog.in_ring) ring_.append(watchdog);
    ring_.set_current(&watchdog);
  } else if (ring_.count() == 0 &&
             ((watchdog.is_blocked() && could_be_woken()) ||
              (io_ != nullptr && io_waits()))) {
    // Another thread may still wake the blocked watchdog (or main), or a
    // tasklet waits on time or I/O (§10): the ending tasklet's thread
    // sleeps until something can run here. A watchdog inside
    // run(threadblock) that is not blocked is woken at once: threadblock
    // applies only where a blocking operation leaves nothing runnable, not
    // where a tasklet ends (API.md §8).
    idle_until(0);
  }
  if (ring_.count() == 0) {
    const int direction = watchdog.blocked.load(std::memory_order_relaxed);
    if (direction != 0 && cancel_wait(watchdog)) {
      watchdog.bomb = std::make_exception_ptr(deadlock_error(
          std::string(watchdog.is_main ? "the main tasklet" : "the watchdog") +
          (direction < 0 ? " is receiving without a sender available."
                         : " is sending without a receiver available.") +
          blocked_tasklets(*this)));
    }
    if (!watchdog.in_ring) ring_.append(watchdog);
  }
  take_soft_interrupt();
  tasklet_impl& next = *ring_.current();
  hooks_.schedule(&t, nullptr);
  hooks_.schedule(nullptr, &next);
  if (watchdog_.active()) watchdog_.rearm();
  next.restore_exception_state(*eh_);
  running_ = &next;
  engine().finish(t, next, nullptr);
}

}  // namespace slp::core
