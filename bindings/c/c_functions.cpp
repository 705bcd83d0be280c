// SPDX-License-Identifier: MIT
// C functions as tasklet bodies, and a kill carried through their C frames
// (c_functions.hpp says how).
#include "c_functions.hpp"

#include <cstddef>
#include <cstdint>
#include <unordered_map>

#include "slp/errors.hpp"
#include "slp/scheduler.hpp"
#include "slp/tasklet.hpp"

namespace slp::c_binding {

namespace {

struct c_run {
  bool killed = false;
};

// The C functions running in this thread's tasklets, by tasklet id. A
// plain pointer, so that nothing is destroyed before the scheduler's own
// thread-end cleanup, which still runs C tasklets.
thread_local std::unordered_map<std::uint64_t, c_run*>* c_runs = nullptr;
thread_local std::size_t killed_runs = 0;

// current_run: the C function the current tasklet runs, if any. While one
// runs in this thread, the thread's scheduler exists.
c_run* current_run() noexcept {
  if (c_runs == nullptr || !slp::has_scheduler()) return nullptr;
  auto it = c_runs->find(slp::current().id());
  return it == c_runs->end() ? nullptr : it->second;
}

}  // namespace

void mark_killed() noexcept {
  c_run* run = current_run();
  if (run == nullptr || run->killed) return;
  run->killed = true;
  ++killed_runs;
}

void check_not_killed() {
  if (killed_runs == 0) return;
  c_run* run = current_run();
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

}  // namespace slp::c_binding
