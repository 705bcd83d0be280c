// SPDX-License-Identifier: MIT
#include "slp_runner.hpp"

#include <cstddef>
#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "slp/slp.hpp"

namespace slp_model {
namespace {

// describe: the trace's name for an exception.
std::string describe(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const slp::tasklet_exit&) {
    return "exit";
  } catch (const program_exception& x) {
    return "prog(" + std::to_string(x.value) + ")";
  } catch (const slp::deadlock_error&) {
    return "deadlock";
  } catch (const slp::channel_closed_error&) {
    return "closed";
  } catch (const slp::block_trap_error&) {
    return "block_trap";
  } catch (const slp::switch_trap_error&) {
    return "switch_trap";
  } catch (const slp::error&) {
    return "error";
  } catch (const std::exception& x) {
    return std::string("other(") + x.what() + ")";
  } catch (...) {
    return "other(unknown)";
  }
}

// switch_trap_scope: slp::switch_trap(1) for one call, when asked.
class switch_trap_scope {
 public:
  explicit switch_trap_scope(bool on) : on_(on) {
    if (on_) slp::switch_trap(1);
  }
  ~switch_trap_scope() {
    if (on_) slp::switch_trap(-1);
  }
  switch_trap_scope(const switch_trap_scope&) = delete;
  switch_trap_scope& operator=(const switch_trap_scope&) = delete;

 private:
  bool on_;
};

constexpr std::size_t stack_size = 256 * 1024;

class slp_runner {
 public:
  explicit slp_runner(const program& p) : program_(p) {}

  trace run() {
    try {
      slp::config cfg = slp::current_config();
      cfg.stack_count = static_cast<std::size_t>(program_.stack_count);
      cfg.stack_size = stack_size;
      slp::configure(cfg);
    } catch (const std::exception& e) {
      record(std::string("final BAD configure: ") + e.what());
      return std::move(out_);
    }
    tasklets_.push_back(slp::main_tasklet());
    for (int i = 1; i < program_.tasklets(); ++i)
      tasklets_.emplace_back(slp::tasklet());
    for (int c = 0; c < program_.channels; ++c) channels_.emplace_back();
    if (program_.handler != handler_mode::none) {
      slp::set_error_handler([this](std::exception_ptr e) {
        if (shutting_down_) return;
        record(handler_event(index_of(slp::current()), describe(e)));
        if (program_.handler == handler_mode::replace)
          throw program_exception{replaced_exception_value};
      });
    }
    try {
      body(0);
    } catch (...) {
      // main's body let an exception through: recorded in body().
    }
    clean_up();
    slp::set_error_handler(nullptr);
    return std::move(out_);
  }

 private:
  void record(std::string event) { out_.events.push_back(std::move(event)); }

  int index_of(const slp::tasklet& t) const {
    for (std::size_t i = 0; i < tasklets_.size(); ++i)
      if (tasklets_[i] == t) return static_cast<int>(i);
    return -1;
  }

  snapshot snapshot_of(int self) const {
    snapshot s;
    s.run_count = slp::run_count();
    const slp::tasklet now = slp::current();
    if (now != tasklets_[static_cast<std::size_t>(self)])
      s.problems += " current-is-not-the-recorder";
    std::vector<slp::tasklet> ring{now};
    std::optional<slp::tasklet> at = now.next();
    for (int guard = 0; guard < 64 && at && *at != now; ++guard) {
      ring.push_back(*at);
      at = at->next();
    }
    for (const slp::tasklet& t : ring) s.ring.push_back(index_of(t));
    if (!at) s.ring.push_back(-2);  // the ring is broken
    for (std::size_t k = 0; k < ring.size(); ++k) {
      const std::optional<slp::tasklet> prev = ring[k].prev();
      if (!prev || *prev != ring[(k + ring.size() - 1) % ring.size()])
        s.problems += " ring-prev";
    }
    for (const slp::channel<int>& ch : channels_) {
      channel_view v;
      v.balance = ch.balance();
      v.closing = ch.closing();
      v.preference = ch.preference();
      v.schedule_all = ch.schedule_all();
      std::optional<slp::tasklet> waiter = ch.queue();
      std::optional<slp::tasklet> before;
      for (int guard = 0; guard < 64 && waiter; ++guard) {
        v.queue.push_back(index_of(*waiter));
        if (waiter->prev() != before) s.problems += " queue-prev";
        before = waiter;
        waiter = waiter->next();
      }
      s.channels.push_back(v);
    }
    int resident = 0;  // started tasklets on an execution stack, not copied
    for (std::size_t i = 0; i < tasklets_.size(); ++i) {
      const slp::tasklet& t = tasklets_[i];
      s.states += state_letter(t.is_current(), t.blocked(), t.scheduled(),
                               t.paused(), t.alive(), t.restorable());
      // §2.5: 0 while resident, not started or dead; main is never copied.
      const bool holds_slice = t.stack_bytes() != 0;
      if (holds_slice &&
          (i == 0 || t.is_current() || !t.alive() || t.restorable()))
        s.problems += " slice-t" + std::to_string(i);
      if (i != 0 && t.alive() && !t.restorable() && !holds_slice) ++resident;
      if (t.is_main() != (i == 0))
        s.problems += " is_main-t" + std::to_string(i);
    }
    // §7: one execution stack holds at most one tasklet.
    if (program_.stack_count == 1 && resident > 1) s.problems += " residents";
    s.atomic = tasklets_[static_cast<std::size_t>(self)].atomic();
    s.block_trap = tasklets_[static_cast<std::size_t>(self)].block_trap();
    return s;
  }

  // at_depth: calls `f` under `levels` extra frames, each holding a buffer
  // of 96..288 bytes filled with a pattern that must survive every switch
  // made meanwhile (its slice may have been copied out and back).
  template <class F>
  __attribute__((noinline)) void at_depth(int levels, std::uint32_t salt,
                                          F& f) {
    if (levels <= 0) {
      f();
      return;
    }
    const std::size_t size =
        96 + 64 * ((salt + static_cast<unsigned>(levels)) % 4);
    auto* pad = static_cast<volatile std::uint8_t*>(__builtin_alloca(size));
    const auto pattern = [&](std::size_t i) {
      return static_cast<std::uint8_t>(salt * 31 +
                                       static_cast<unsigned>(levels) * 7 + i);
    };
    for (std::size_t i = 0; i < size; ++i) pad[i] = pattern(i);
    at_depth(levels - 1, salt, f);
    for (std::size_t i = 0; i < size; ++i) {
      if (pad[i] != pattern(i)) {
        record("CORRUPT: a stack buffer of the current tasklet changed");
        return;
      }
    }
  }

  auto body_function(int self) {
    return [this, self] { body(self); };
  }

  void body(int self) {
    if (shutting_down_) return;
    slp::tasklet& me = tasklets_[static_cast<std::size_t>(self)];
    me.set_atomic(false);  // flags left by an earlier life do not count
    me.set_block_trap(false);
    record(begin_event(self, snapshot_of(self)));
    const auto interpret_body = [this, self] { interpret(self); };
    try {
      at_depth(program_.body_depth[static_cast<std::size_t>(self)],
               static_cast<std::uint32_t>(self) * 977U, interpret_body);
    } catch (...) {
      if (!shutting_down_) {
        record(body_end_event(self, describe(std::current_exception()),
                              snapshot_of(self)));
      }
      throw;
    }
    if (!shutting_down_) record(body_end_event(self, "ok", snapshot_of(self)));
  }

  void interpret(int self) {
    const std::vector<operation>& ops =
        program_.bodies[static_cast<std::size_t>(self)];
    for (std::size_t pc = 0; pc < ops.size(); ++pc) {
      if (shutting_down_ ||
          out_.operations >= static_cast<std::size_t>(program_.op_budget))
        return;
      const operation& op = ops[pc];
      ++out_.operations;
      record(start_event(self, pc, op));
      std::string outcome;
      const auto call = [&] {
        if (op.depth % 3 != 2) {
          outcome = perform(self, op);
          return;
        }
        // §3.5: a switch inside a catch block keeps this tasklet's own
        // exception state.
        const int marker = self * 1000 + static_cast<int>(pc);
        try {
          throw program_exception{marker};
        } catch (const program_exception&) {
          outcome = perform(self, op);
          check_exception_state(marker);
        }
      };
      try {
        at_depth(op.depth,
                 static_cast<std::uint32_t>(self * 131 + static_cast<int>(pc)),
                 call);
      } catch (...) {
        if (shutting_down_) throw;
        record(end_event(self, pc, describe(std::current_exception()),
                         snapshot_of(self)));
        if (!op.catching) throw;
        continue;
      }
      if (shutting_down_) return;
      record(end_event(self, pc, outcome, snapshot_of(self)));
    }
  }

  void check_exception_state(int marker) {
    bool same = std::uncaught_exceptions() == 0;
    try {
      throw;
    } catch (const program_exception& e) {
      same = same && e.value == marker;
    } catch (...) {
      same = false;
    }
    if (!same) record("CORRUPT: the exception being handled changed");
  }

  std::string perform(int self, const operation& op) {
    const switch_trap_scope trap(op.trapped);
    const auto target = static_cast<std::size_t>(op.target);
    switch (op.kind) {
      case op_kind::spawn: {
        slp::tasklet& t = tasklets_[target];
        if (!t.alive()) t.bind(body_function(op.target));
        t.setup();
        return "ok";
      }
      case op_kind::bind:
        tasklets_[target].bind(body_function(op.target));
        return "ok";
      case op_kind::insert:
        tasklets_[target].insert();
        return "ok";
      case op_kind::remove:
        tasklets_[target].remove();
        return "ok";
      case op_kind::run_tasklet:
        tasklets_[target].run();
        return "ok";
      case op_kind::switch_to:
        tasklets_[target].switch_to();
        return "ok";
      case op_kind::kill:
        tasklets_[target].kill(op.pending);
        return "ok";
      case op_kind::throw_exception:
        tasklets_[target].throw_exception(
            std::make_exception_ptr(program_exception{op.value}), op.pending);
        return "ok";
      case op_kind::send:
        channels_[target].send(int{op.value});
        return "ok";
      case op_kind::send_exception:
        channels_[target].send_exception(
            std::make_exception_ptr(program_exception{op.value}));
        return "ok";
      case op_kind::receive:
        return "=" + std::to_string(channels_[target].receive());
      case op_kind::schedule:
        slp::schedule();
        return "ok";
      case op_kind::schedule_remove:
        slp::schedule_remove();
        return "ok";
      case op_kind::run:
      case op_kind::run_watchdog: {
        slp::run_options options;
        if (op.kind == op_kind::run_watchdog)
          options.timeout = static_cast<std::uint64_t>(op.value);
        const std::optional<slp::tasklet> victim = slp::run(options);
        return victim ? "t" + std::to_string(index_of(*victim)) : "none";
      }
      case op_kind::tick:
        slp::tick(static_cast<std::uint64_t>(op.value));
        return "ok";
      case op_kind::close:
        channels_[target].close();
        return "ok";
      case op_kind::open:
        channels_[target].open();
        return "ok";
      case op_kind::set_preference:
        channels_[target].set_preference(op.value);
        return "ok";
      case op_kind::set_schedule_all:
        channels_[target].set_schedule_all(op.value != 0);
        return "ok";
      case op_kind::set_atomic:
        return tasklets_[static_cast<std::size_t>(self)].set_atomic(op.value !=
                                                                    0)
                   ? "old=1"
                   : "old=0";
      case op_kind::set_block_trap:
        tasklets_[static_cast<std::size_t>(self)].set_block_trap(op.value != 0);
        return "ok";
    }
    return "other(unknown operation)";
  }

  // clean_up: after main's body, kill what is left (bodies no longer catch
  // anything) and check that nothing is left over.
  void clean_up() {
    shutting_down_ = true;
    for (int pass = 0; pass < 3; ++pass) {
      for (std::size_t i = 1; i < tasklets_.size(); ++i) {
        if (!tasklets_[i].alive()) continue;
        try {
          tasklets_[i].kill();
        } catch (...) {
          // reported below if it is still alive
        }
      }
    }
    std::string bad;
    for (std::size_t i = 1; i < tasklets_.size(); ++i) {
      if (tasklets_[i].alive()) bad += " t" + std::to_string(i) + "-alive";
      if (tasklets_[i].stack_bytes() != 0)
        bad += " t" + std::to_string(i) + "-holds-a-slice";
    }
    if (slp::run_count() != 1)
      bad += " run_count=" + std::to_string(slp::run_count());
    if (!tasklets_[0].is_current()) bad += " main-not-current";
    for (std::size_t c = 0; c < channels_.size(); ++c) {
      if (channels_[c].balance() != 0)
        bad += " c" + std::to_string(c) + "-balance";
    }
    record(bad.empty() ? "final ok" : "final BAD:" + bad);
  }

  const program& program_;
  std::vector<slp::tasklet> tasklets_;  // [0] is main
  std::vector<slp::channel<int>> channels_;
  bool shutting_down_ = false;
  trace out_;
};

}  // namespace

trace run_under_slp(const program& p) {
  trace result;
  std::thread worker([&p, &result] { result = slp_runner(p).run(); });
  worker.join();
  return result;
}

}  // namespace slp_model
