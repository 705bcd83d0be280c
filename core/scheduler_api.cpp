// SPDX-License-Identifier: MIT
// The free functions of <slp/scheduler.hpp> and <slp/config.hpp>: the
// calling thread's scheduler does the work.
#include "core/scheduler.hpp"
#include "core/switch_entries.hpp"
#include "core/tasklet_impl.hpp"
#include "slp/config.hpp"
#include "slp/scheduler.hpp"

namespace slp {

namespace {
core::scheduler& this_thread() { return core::scheduler::of_this_thread(); }
}  // namespace

void configure(const config& cfg) { this_thread().configure(cfg); }

config current_config() { return this_thread().configuration(); }

tasklet current() {
  return core::handle_access::adopt(core::add_ref(&this_thread().current()));
}

tasklet main_tasklet() {
  return core::handle_access::adopt(core::add_ref(&this_thread().main()));
}

bool has_scheduler() noexcept {
  return core::scheduler::if_exists() != nullptr;
}

std::size_t run_count() {
  core::scheduler& s = this_thread();
  core::owner_gate::section inside(s.gate());
  return s.run_count();
}

namespace {
// in_section: `op` where the fast way in does not apply: a section is open
// already (a hook, a destructor slp runs), or entering needs a call (a
// visitor at the gate, no membarrier).
template <void (core::scheduler::*Op)()>
[[gnu::noinline]] void in_section(core::scheduler& s) {
  core::owner_gate::section inside(s.gate());
  (s.*Op)();
}

// outermost: `op` in a section of its own, which keeps nothing across it
// but this frame's return address (it is in the slice of every tasklet
// suspended there).
template <void (core::scheduler::*Op)()>
void outermost(core::scheduler& s) {
  if (s.gate().inside() || !s.gate().try_enter_outermost()) {
    in_section<Op>(s);
    return;
  }
  core::scheduler::outermost_section inside;
  (s.*Op)();
}
}  // namespace

// slp::schedule() and slp::schedule_remove() are thunks in
// arch/switch_entries.S that call these.
void core::schedule_body() {
  outermost<&core::scheduler::schedule>(this_thread());
}

void core::schedule_remove_body() {
  outermost<&core::scheduler::schedule_remove>(this_thread());
}

std::optional<tasklet> run(const run_options& options) {
  return this_thread().run_watchdog(options);
}

namespace detail {
__thread tick_counter thread_ticks
    __attribute__((tls_model("initial-exec"))) = {0, ~std::uint64_t{0}};
void tick_exceeded() { this_thread().tick_exceeded(); }
}  // namespace detail

int switch_trap(int delta) { return this_thread().switch_trap(delta); }

std::function<void(std::exception_ptr)> set_error_handler(
    std::function<void(std::exception_ptr)> handler) {
  return core::scheduler::set_error_handler(std::move(handler));
}

atomic_guard::atomic_guard()
    : tasklet_(current()), old_(tasklet_.set_atomic(true)) {}

atomic_guard::~atomic_guard() { tasklet_.set_atomic(old_); }

nesting_guard::nesting_guard() : tasklet_(current()) {
  ++core::handle_access::impl(tasklet_)->nesting;
}

nesting_guard::~nesting_guard() {
  --core::handle_access::impl(tasklet_)->nesting;
}

}  // namespace slp
