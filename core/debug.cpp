// SPDX-License-Identifier: MIT
// slp — where every tasklet is (API.md §11): tasklet::backtrace(), the
// dump of a thread's tasklets, and the list of blocked tasklets that a
// deadlock_error's message ends with (core/debug.hpp).
#include "core/debug.hpp"

#include <cstdint>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "core/backtrace.hpp"
#include "core/channel_state.hpp"
#include "core/scheduler.hpp"
#include "slp/debug.hpp"
#include "slp/errors.hpp"
#include "slp/tasklet.hpp"

namespace slp::core {

namespace {

// quoted_name: " 'name'" for a named tasklet, nothing otherwise.
std::string quoted_name(const tasklet_impl& t) {
  return t.name != nullptr && !t.name->empty() ? " '" + *t.name + "'" : "";
}

// live_tasklets: the thread's live tasklets. Each is held by the
// scheduler's own reference, which only this thread drops, so they stay
// valid while nothing runs.
std::vector<tasklet_impl*> live_tasklets(scheduler& s) {
  std::vector<tasklet_impl*> all;
  s.tasklets().for_each_locked([&](tasklet_impl& t) {
    if (t.set_up) all.push_back(&t);
  });
  return all;
}

std::string thread_text(std::thread::id id) {
  std::ostringstream out;
  out << id;
  return out.str();
}

}  // namespace

std::string wait_text(const tasklet_impl& t) {
  const int code = t.blocked.load(std::memory_order_relaxed);
  const wait_site* site = t.waiting_on.load(std::memory_order_relaxed);
  if (code == 0 || site == nullptr) return {};
  if (site->kind() == wait_kind::channel) {
    const auto& channel = static_cast<const channel_state&>(*site);
    return std::string(code > 0 ? "sending" : "receiving") + " on channel " +
           std::to_string(channel.id);
  }
  return "waiting";
}

std::string state_text(const tasklet_impl& t, const scheduler& s) {
  if (&t == &const_cast<scheduler&>(s).current()) return "running";
  const std::string wait = wait_text(t);
  if (!wait.empty()) return "blocked " + wait;
  if (t.in_ring) return "runnable";
  if (!t.started()) return "paused (not started)";
  return "paused";
}

std::string blocked_tasklets(scheduler& s) {
  constexpr std::size_t most = 16;
  std::string text;
  std::size_t count = 0;
  for (tasklet_impl* t : live_tasklets(s)) {
    const std::string wait = wait_text(*t);
    if (wait.empty()) continue;
    if (++count > most) continue;
    text += (count == 1 ? " Blocked: tasklet " : "; tasklet ") +
            std::to_string(t->id) + quoted_name(*t) + " " + wait;
  }
  if (count > most) {
    text += "; and " + std::to_string(count - most) + " more";
  }
  if (count > 0) text += ".";
  return text;
}

void check_own_thread(const tasklet_impl& t, const char* operation) {
  scheduler* owner = t.owner.load(std::memory_order_acquire);
  if (owner == nullptr || owner == scheduler::if_exists()) return;
  throw error(std::string(operation) + ": tasklet " + std::to_string(t.id) +
              quoted_name(t) + " belongs to thread " +
              thread_text(owner->thread_id()) + ", not to the calling thread " +
              thread_text(std::this_thread::get_id()));
}

std::vector<frame> frames_of(const tasklet_impl& t, std::size_t max_frames,
                             void* caller) {
  check_own_thread(t, "slp::tasklet::backtrace");
  if (max_frames == 0 || !t.set_up || !t.started() ||
      t.owner.load(std::memory_order_relaxed) == nullptr) {
    return {};
  }
  std::vector<void*> pcs(max_frames);
  const std::size_t n = walk_frames(t, pcs.data(), max_frames, caller);
  std::vector<frame> frames(n);
  for (std::size_t i = 0; i < n; ++i) {
    frames[i].address = pcs[i];
    // Every frame continues after a call: its switch's, backtrace()'s, or
    // one of its own.
    frames[i].function = function_name(pcs[i], true);
  }
  return frames;
}

void dump(std::ostream& out, void* caller) {
  scheduler& s = scheduler::of_this_thread();
  owner_gate::section inside(s.gate());
  const std::vector<tasklet_impl*> all = live_tasklets(s);
  out << "slp: " << all.size() << " live tasklet"
      << (all.size() == 1 ? "" : "s") << " in thread "
      << std::this_thread::get_id() << '\n';
  for (tasklet_impl* t : all) {
    out << "tasklet " << t->id << quoted_name(*t)
        << (t->is_main ? " (main)" : "") << ": " << state_text(*t, s) << "; "
        << t->stack_bytes() << " bytes saved on the heap\n";
    const std::vector<frame> frames = frames_of(*t, 64, caller);
    for (std::size_t i = 0; i < frames.size(); ++i) {
      out << "  #" << i << ' ' << frames[i].address;
      if (!frames[i].function.empty()) out << ' ' << frames[i].function;
      out << '\n';
    }
  }
}

}  // namespace slp::core

namespace slp {

[[gnu::noinline]] std::vector<frame> tasklet::backtrace(
    std::size_t max_frames) const {
  if (impl_ == nullptr) return {};
  return core::frames_of(*impl_, max_frames, __builtin_return_address(0));
}

[[gnu::noinline]] void dump_tasklets(std::ostream& out) {
  core::dump(out, __builtin_return_address(0));
}

}  // namespace slp
