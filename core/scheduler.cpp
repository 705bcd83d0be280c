// SPDX-License-Identifier: MIT
// slp — the scheduler's core (core/scheduler.hpp): its creation and end,
// the switch, the park/wake seam, the idle thread, and other threads'
// requests.
#include "core/scheduler.hpp"

#include <cxxabi.h>

#include <mutex>
#include <new>
#include <string>
#include <utility>

#include "arch/shadow_stack.h"
#include "core/debug.hpp"
#include "core/reactor.hpp"
#include "slp/errors.hpp"

namespace slp::core {

namespace {

// The Itanium C++ ABI keeps the caught-exception stack and the uncaught
// count in one per-thread block; slp swaps its contents on every switch so
// that each tasklet has its own (API.md §3.5).
eh_globals& thread_eh_globals() noexcept {
  return *reinterpret_cast<eh_globals*>(abi::__cxa_get_globals());
}

struct scheduler_holder {
  scheduler* instance = nullptr;
  ~scheduler_holder() {
    delete instance;
    instance = nullptr;
  }
};
thread_local scheduler_holder holder;

// deadlock_message: names the tasklets that are blocked (API.md §11).
std::string deadlock_message(const char* operation, scheduler& s) {
  return std::string(operation) +
         ": Deadlock: the last runnable tasklet cannot be blocked." +
         blocked_tasklets(s);
}

}  // namespace

__thread scheduler* this_thread_scheduler
    __attribute__((tls_model("initial-exec"))) = nullptr;

// --- creation and the end of the thread ---

scheduler& scheduler::create_for_this_thread() {
  if (slp_shadow_stack_enabled() != 0) {
    throw error(
        "slp: this process runs with hardware shadow stacks (x86-64 SHSTK), "
        "which stack slicing cannot keep consistent; run it without them, "
        "e.g. with GLIBC_TUNABLES=glibc.cpu.x86_shstk=off");
  }
  holder.instance = new scheduler();  // sets this_thread_scheduler first
  return *holder.instance;
}

scheduler::scheduler()
    : thread_(std::this_thread::get_id()), eh_(&thread_eh_globals()) {
  this_thread_scheduler = this;  // hooks called from here may use slp
  inbox_.enroll();
  to_release_.reserve(8);
  main_ = tasklet_impl::create(this);  // the scheduler's own reference
  main_->is_main = true;
  main_->set_up = true;
  main_->state = context::status::running;
  running_ = main_;
  ring_.append(*main_);
  owner_gate::section inside(gate_);  // hooks run inside a section
  hooks_.schedule(nullptr, main_);
}

scheduler::~scheduler() {
  {
    owner_gate::section inside(gate_);
    kill_all_at_thread_end();
    dying_ = true;  // visitors from now on find the thread ended
  }
  // What never started, and anything that refused to die, is discarded.
  while (ring_.current() != nullptr) ring_.remove(*ring_.current());
  std::vector<tasklet_impl*> all = tasklets_.snapshot();
  for (tasklet_impl* t : all) cancel_wait(*t);
  for (tasklet_impl* w : watchdog_.callers()) to_release_.push_back(w);
  watchdog_.callers().clear();
  // Owners are null from here on.
  for (tasklet_impl* t : inbox_.withdraw(tasklets_)) release(t);
  for (tasklet_impl* t : all) {
    if (engine_ != nullptr) engine_->forget(*t);
    t->home = nullptr;
    if (t->set_up && !t->is_main) {
      t->set_up = false;
      to_release_.push_back(t);  // the scheduler's reference
    }
    tasklets_.remove(*t);
    to_release_.push_back(t);  // the snapshot's reference
  }
  release_pending();
  main_->set_up = false;
  release(main_);
  engine_.reset();
  if (this_thread_scheduler == this) this_thread_scheduler = nullptr;
}

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

void scheduler::engine_forget(tasklet_impl& t) noexcept {
  if (engine_ != nullptr) engine_->forget(t);
}

void scheduler::release_all_pending() noexcept {
  while (!to_release_.empty()) {
    tasklet_impl* t = to_release_.back();
    to_release_.pop_back();
    release(t);
  }
}

// --- switching ---

void scheduler::refuse_switch(const char* operation) const {
  if (hooks_.running()) {
    throw error(std::string(operation) +
                ": no tasklet switch is allowed inside a hook");
  }
  throw switch_trap_error(
      std::string(operation) + ": switch_trap is set (level " +
      std::to_string(switch_trap_) + "): no tasklet switch is allowed");
}

// switch_to_current: the head of the runnables runs, if it is not the
// running tasklet already. Only `this` is kept across the switch (prev is
// in switching_from_), so that this frame, in the slice of every tasklet
// that switched, is small. Aligned to a cache line: BM_SlpSchedulePingPong
// (tasklet_bench) moves with where the linker places it.
[[gnu::aligned(64)]] void scheduler::switch_to_current() {
  if (ring_.current() != running_) take_soft_interrupt();  // rarely pending
  preferred_hand_off_ = false;
  if (ring_.current() == running_) {
    ring_.commit();
    release_pending();
    return;
  }
  // The head is read again after each call rather than kept in a register
  // across it: every slice holds this frame.
  hooks_.schedule(running_, ring_.current());
  if (watchdog_.active()) watchdog_.rearm();
  stack_engine& stacks = engine();
  tasklet_impl& prev = *running_;
  tasklet_impl& next = *ring_.current();
  prev.save_exception_state(*eh_);
  next.restore_exception_state(*eh_);
  running_ = &next;
  switching_from_ = &prev;
  if (!stacks.try_transfer(prev, next)) fail_switch();
  after_switch();
}

void scheduler::fail_switch() {
  // No switch happened (no memory for a slice): put it all back. This is
  // outside any catch block, so restoring the caller's own C++ exception
  // state cannot disturb an exception being handled.
  tasklet_impl& prev = *switching_from_;
  switch_failed_ = true;
  running_ = &prev;
  prev.restore_exception_state(*eh_);
  ring_.undo();
  release_pending();
  if (watchdog_.active()) watchdog_.rearm();
  throw std::bad_alloc();
}

void scheduler::raise_bomb() {
  std::exception_ptr bomb = std::move(running_->bomb);
  running_->bomb = nullptr;
  std::rethrow_exception(bomb);
}

// --- the park/wake seam ---

scheduler::park_plan scheduler::plan_park(const char* operation,
                                          bool has_site) {
  tasklet_impl& self = *running_;
  park_plan plan;
  if (ring_.count() > 1) {
    plan.next = self.next;
  } else if (io_ != nullptr && io_waits()) {
    // §10: a tasklet waits on time or I/O (perhaps this one): the thread
    // sleeps in its reactor until one is ready; no watchdog is woken.
  } else {
    tasklet_impl& watchdog = watchdog_.innermost(*main_);
    if (&watchdog != &self && !watchdog.is_blocked() &&
        watchdog.waits_for_threads && could_be_woken()) {
      plan.fallback = &watchdog;  // run(threadblock): wait for other threads
    } else if (&watchdog != &self && !watchdog.is_blocked()) {
      plan.next = &watchdog;  // floating: woken, its run() returns
    } else if (&watchdog == &self && !has_site) {
      plan.stay = true;  // main alone parks: it stays and returns at once
      return plan;
    } else if (!could_be_woken()) {
      throw deadlock_error(deadlock_message(operation, *this));
    }  // else another thread may make something runnable: sleep
  }
  check_switch(operation);
  return plan;
}

// sleep_parked: nothing can run in this thread once the running tasklet
// has parked: sleep until another thread makes a tasklet runnable (perhaps
// the parked one itself).
void scheduler::sleep_parked(const char* operation, tasklet_impl* fallback,
                             bool at_site) {
  tasklet_impl& self = *running_;
  while (!idle_until(0)) {
    if (fallback != nullptr) {  // run(threadblock) gives up
      ring_.append(*fallback);
      break;
    }
    // No thread could ever wake this one: take the park back, then fail.
    if (!at_site || cancel_wait(self)) {
      ring_.commit();
      ring_.append(self);
      paused_self_ = nullptr;
      throw deadlock_error(deadlock_message(operation, *this));
    }
    // A partner in another thread took it just now: its request follows.
  }
  ring_.commit();                  // the park stands, whatever the switch does
  if (ring_.current() == &self) {  // made runnable again: no switch at all
    after_switch();
    return;
  }
  switch_to_current();
}

bool scheduler::idle_until(std::size_t busy) {
  while (ring_.count() <= busy) {
    // Asleep, the thread is outside slp: other threads act at once.
    if (io_ != nullptr && io_waits()) {  // §10: sleep in the reactor,
      inbox_.nap();                      // counted awake (its epoll_wait
      drain_incoming();                  // is outside)
      continue;
    }
    bool woken = false;
    {
      owner_gate::outside sleeping(gate_);
      woken = inbox_.wait();
    }
    drain_incoming();
    if (!woken) return ring_.count() > busy;
  }
  return true;
}

bool scheduler::cancel_wait(tasklet_impl& t,
                            runnables::transaction* tx) noexcept {
  wait_site* site = t.waiting_on.load(std::memory_order_relaxed);
  if (site == nullptr) return false;
  wait_place was{};
  if (!site->ops->cancel(*site, t, &was)) return false;
  if (tx != nullptr) tx->woken(t, *site, was);
  return true;
}

void scheduler::wake_and_yield(tasklet_impl& t, wait_site& site, wait_place was,
                               placement where) {
  runnables::transaction tx = begin();
  tx.woken(t, site, was);
  if (where == placement::tail) {
    tx.append(t);
    ring_.set_current(running_->next);
  } else {
    tx.insert_next(t);
    ring_.set_current(&t);
    preferred_hand_off_ = true;
  }
  switch_to_current();
}

// --- other threads' requests ---

// apply_incoming: the tasklets other threads' hand-offs woke, in the order
// they came. References they carried are released after the next switch:
// a release can kill, which switches.
void scheduler::apply_incoming() {
  std::vector<inbox::request>& batch = draining_;  // empty, capacity kept
  inbox_.take(batch);
  for (tasklet_impl* t : batch) {
    if (t->owner.load(std::memory_order_relaxed) == this && t->set_up &&
        !t->scheduled()) {
      ring_.append(*t);
    }
    to_release_.push_back(t);
  }
  batch.clear();
}

// --- other threads' operations, through the gate (API.md §8) ---

void scheduler::insert_remote(tasklet_impl& t, const char* operation,
                              bool first) {
  if (t.is_blocked()) {
    throw error(std::string(operation) + ": You cannot run a blocked tasklet");
  }
  if (!t.set_up) {
    throw error(std::string(operation) +
                ": You cannot run an unbound(dead) tasklet");
  }
  if (t.in_ring) return;
  // A remote run(): next after the thread's current tasklet.
  if (first) {
    ring_.insert_next(t);
  } else {
    ring_.append(t);
  }
}

void scheduler::remove_remote(tasklet_impl& t) {
  static constexpr const char* op = "slp::tasklet::remove";
  if (t.is_blocked()) {
    throw error(std::string(op) + ": You cannot remove a blocked tasklet.");
  }
  if (&t == running_) {
    throw error(std::string(op) + ": The current tasklet cannot be removed.");
  }
  // The ring's reference to it was the scheduler's: nothing to release.
  if (t.in_ring) ring_.remove(t);
}

void scheduler::throw_remote(tasklet_impl& t, std::exception_ptr e,
                             const char* operation) {
  if (!t.set_up) {
    if (is_tasklet_exit(e)) return;
    throw error(std::string(operation) +
                ": You cannot throw to a dead tasklet");
  }
  t.bomb = std::move(e);
  cancel_wait(t);
  if (!t.in_ring) ring_.append(t);
}

}  // namespace slp::core
