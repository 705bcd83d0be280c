// SPDX-License-Identifier: MIT
// The reference model. References: API.md sections as "§n", the
// behavioural reference as "SB §n". Nothing here looks at core/.
#include "model.hpp"

#include <algorithm>
#include <cstddef>
#include <deque>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace slp_model {
namespace {

// failure: what an operation throws, as the trace names it.
enum class failure_kind {
  exit,         // slp::tasklet_exit
  prog,         // program_exception{value}
  deadlock,     // slp::deadlock_error
  closed,       // slp::channel_closed_error
  block_trap,   // slp::block_trap_error
  switch_trap,  // slp::switch_trap_error
  error,        // slp::error
};

struct failure {
  failure_kind kind;
  int value = 0;
};

std::string to_text(const failure& f) {
  switch (f.kind) {
    case failure_kind::exit:
      return "exit";
    case failure_kind::prog:
      return "prog(" + std::to_string(f.value) + ")";
    case failure_kind::deadlock:
      return "deadlock";
    case failure_kind::closed:
      return "closed";
    case failure_kind::block_trap:
      return "block_trap";
    case failure_kind::switch_trap:
      return "switch_trap";
    case failure_kind::error:
      return "error";
  }
  return "?";
}

// result: how an operation returned.
struct result {
  std::string text = "ok";
  std::optional<failure> thrown;
};

result returned(std::string text) { return result{std::move(text), {}}; }
result threw(failure f) { return result{to_text(f), f}; }
result threw(failure_kind kind) { return threw(failure{kind, 0}); }

// step: an operation either finished without leaving its tasklet, or
// switched away (the tasklet finishes it when it next runs).
struct step {
  bool switched = false;
  result outcome;
};

step finished(result r) { return step{false, std::move(r)}; }
step switched_away() { return step{true, {}}; }

// message: what a sender offers: a value or program_exception{value}.
struct message {
  bool is_exception = false;
  int value = 0;
};

// interrupt_state: the watchdog of §5, as one run() installs it.
struct interrupt_state {
  int owner = -1;  // the tasklet in run(timeout) that a timeout wakes
  std::uint64_t timeout = 0;
};

struct model_tasklet {
  bool alive = false;
  bool started = false;         // its body has begun in this life
  std::size_t pc = 0;           // the operation it runs or is suspended in
  bool in_op = false;           // suspended inside body[pc]
  std::optional<failure> bomb;  // to raise where it resumes
  int blocked_channel = -1;
  int blocked_direction = 0;      // +1 sending, -1 receiving
  message offer;                  // while blocked sending
  std::optional<message> inbox;   // a receive's value, set by the sender
  std::optional<int> run_result;  // the victim its run() returns
  // installed: the interrupt state its run(timeout) replaced, while that
  // run() has not returned.
  std::optional<interrupt_state> installed;
  bool atomic = false;
  bool block_trap = false;
  bool pending_interrupt = false;
};

struct model_channel {
  std::deque<int> queue;
  int balance = 0;
  bool closing = false;
  int preference = -1;
  bool schedule_all = false;
};

struct watchdog_frame {
  int tasklet;
};

class model {
 public:
  model(const program& p, const model_options& options)
      : program_(p),
        options_(options),
        tasklets_(static_cast<std::size_t>(p.tasklets())),
        channels_(static_cast<std::size_t>(p.channels)) {}

  trace run() {
    model_tasklet& main = tasklet(0);
    main.alive = true;
    main.started = true;
    runnables_.push_back(0);
    emit(begin_event(0, snapshot_of(0)));
    while (!done_) continue_current();
    out_.events.push_back("final ok");
    return std::move(out_);
  }

 private:
  // --- state helpers -------------------------------------------------------
  model_tasklet& tasklet(int i) {
    return tasklets_[static_cast<std::size_t>(i)];
  }
  model_channel& channel(int i) {
    return channels_[static_cast<std::size_t>(i)];
  }
  const std::vector<operation>& body(int i) const {
    return program_.bodies[static_cast<std::size_t>(i)];
  }
  int current() const { return runnables_.front(); }
  bool runnable(int i) const {
    return std::find(runnables_.begin(), runnables_.end(), i) !=
           runnables_.end();
  }
  bool blocked(int i) { return tasklet(i).blocked_channel >= 0; }
  bool scheduled(int i) { return runnable(i) || blocked(i); }
  void unlink(int i) {
    runnables_.erase(std::find(runnables_.begin(), runnables_.end(), i));
  }
  // rotate_to: the ring is circular, so making `i` current is a rotation.
  void rotate_to(int i) {
    auto at = std::find(runnables_.begin(), runnables_.end(), i);
    std::rotate(runnables_.begin(), at, runnables_.end());
  }
  // innermost_watchdog: the innermost tasklet in run(), else main
  // (SB §3.6: "W, the innermost watchdog, or main if there is none").
  int innermost_watchdog() const {
    return watchdogs_.empty() ? 0 : watchdogs_.back().tasklet;
  }
  void enqueue(int self, int c, int direction, message offer) {
    model_channel& ch = channel(c);
    ch.queue.push_back(self);
    ch.balance += direction;
    model_tasklet& t = tasklet(self);
    t.blocked_channel = c;
    t.blocked_direction = direction;
    t.offer = offer;
  }
  // unblock: takes a waiter off its channel; the balance moves toward 0.
  void unblock(int i) {
    model_tasklet& t = tasklet(i);
    model_channel& ch = channel(t.blocked_channel);
    ch.queue.erase(std::find(ch.queue.begin(), ch.queue.end(), i));
    ch.balance -= t.blocked_direction;
    t.blocked_channel = -1;
    t.blocked_direction = 0;
  }
  // wake: makes `i` runnable (off its channel, at the tail if it was not
  // runnable) and switches to it.
  void wake(int i) {
    if (blocked(i)) unblock(i);
    if (!runnable(i)) runnables_.push_back(i);
    rotate_to(i);
  }

  void emit(std::string event) { out_.events.push_back(std::move(event)); }

  snapshot snapshot_of(int self) {
    snapshot s;
    s.run_count = runnables_.size();
    s.ring.assign(runnables_.begin(), runnables_.end());
    for (const model_channel& ch : channels_) {
      channel_view v;
      v.balance = ch.balance;
      v.closing = ch.closing;
      v.preference = ch.preference;
      v.schedule_all = ch.schedule_all;
      v.queue.assign(ch.queue.begin(), ch.queue.end());
      s.channels.push_back(v);
    }
    for (int i = 0; i < program_.tasklets(); ++i) {
      const model_tasklet& t = tasklet(i);
      const bool is_blocked = blocked(i);
      const bool is_scheduled = runnable(i) || is_blocked;
      s.states += state_letter(i == current(), is_blocked, is_scheduled,
                               t.alive && !is_scheduled, t.alive,
                               t.alive && !t.started);
    }
    s.atomic = tasklet(self).atomic;
    s.block_trap = tasklet(self).block_trap;
    return s;
  }

  // --- the interpreter loop -------------------------------------------------
  // continue_current: runs the current tasklet until it switches away or
  // ends; every call follows a switch to it.
  void continue_current() {
    const int self = current();
    model_tasklet& t = tasklet(self);
    ticks_ = 0;  // §5: a tasklet's tick count restarts at every switch
    if (!t.started) {
      if (t.bomb) {
        // §2.3: a target that has not started dies with the exception
        // before its function runs.
        const failure f = *t.bomb;
        t.bomb.reset();
        die(self, f);
        return;
      }
      t.started = true;
      t.pc = 0;
      t.in_op = false;
      t.atomic = false;  // the body's prologue clears its own flags
      t.block_trap = false;
      emit(begin_event(self, snapshot_of(self)));
    } else if (t.in_op) {
      t.in_op = false;
      if (!finish_operation(self, resume(self))) return;
    }
    run_operations(self);
  }

  void run_operations(int self) {
    for (;;) {
      model_tasklet& t = tasklet(self);
      if (t.pc >= body(self).size() ||
          out_.operations >= static_cast<std::size_t>(program_.op_budget)) {
        end_body(self, std::nullopt);
        return;
      }
      const operation& op = body(self)[t.pc];
      ++out_.operations;
      emit(start_event(self, t.pc, op));
      step s = perform(self, op);
      if (s.switched) {
        tasklet(self).in_op = true;
        return;
      }
      if (!finish_operation(self, s.outcome)) return;
    }
  }

  // finish_operation: records how body[pc] returned; false when an
  // exception it does not catch ended the body.
  bool finish_operation(int self, const result& r) {
    model_tasklet& t = tasklet(self);
    const operation& op = body(self)[t.pc];
    emit(end_event(self, t.pc, r.text, snapshot_of(self)));
    if (r.thrown && !op.catching) {
      end_body(self, r.thrown);
      return false;
    }
    ++t.pc;
    return true;
  }

  void end_body(int self, std::optional<failure> f) {
    emit(body_end_event(self, f ? to_text(*f) : "ok", snapshot_of(self)));
    if (self == 0) {
      done_ = true;  // main's body is the program
      return;
    }
    die(self, f);
  }

  // die: the current tasklet ends (§3.3, SB §3.4).
  void die(int self, std::optional<failure> f) {
    if (f && f->kind != failure_kind::exit &&
        program_.handler != handler_mode::none) {
      // §3.3: the error handler sees it first, in the dying tasklet;
      // returning swallows it, throwing replaces it.
      emit(handler_event(self, to_text(*f)));
      if (program_.handler == handler_mode::swallow) {
        f.reset();
      } else {
        f = failure{failure_kind::prog, replaced_exception_value};
      }
    }
    if (f && f->kind == failure_kind::exit) f.reset();  // ends silently
    model_tasklet& t = tasklet(self);
    t.alive = false;
    t.in_op = false;
    t.bomb.reset();
    t.inbox.reset();
    t.run_result.reset();
    t.pending_interrupt = false;
    runnables_.pop_front();
    if (f) {
      // §3.3: rethrown in the innermost watchdog, or main, wherever it is
      // suspended; SB §3.4: control switches there at once.
      const int receiver = innermost_watchdog();
      tasklet(receiver).bomb = *f;
      wake(receiver);
    } else if (runnables_.empty()) {
      // SB §3.4: nothing runnable wakes the innermost watchdog or main;
      // §3.2: main blocked on a channel gets deadlock_error.
      const int w = innermost_watchdog();
      if (blocked(w)) tasklet(w).bomb = failure{failure_kind::deadlock, 0};
      wake(w);
    }
  }

  // resume: how the operation a tasklet was suspended in returns.
  result resume(int self) {
    model_tasklet& t = tasklet(self);
    const operation& op = body(self)[t.pc];
    if (op.kind == op_kind::run || op.kind == op_kind::run_watchdog)
      leave_run(self);
    if (t.bomb) {
      const failure f = *t.bomb;
      t.bomb.reset();
      t.inbox.reset();
      t.run_result.reset();
      return threw(f);
    }
    if (op.kind == op_kind::receive) {
      if (!t.inbox) return returned("other(model: nothing received)");
      const message m = *t.inbox;
      t.inbox.reset();
      if (m.is_exception) return threw(failure{failure_kind::prog, m.value});
      return returned("=" + std::to_string(m.value));
    }
    if (op.kind == op_kind::run || op.kind == op_kind::run_watchdog) {
      const std::optional<int> victim = t.run_result;
      t.run_result.reset();
      return returned(victim ? "t" + std::to_string(*victim) : "none");
    }
    return returned("ok");
  }

  // leave_run: SB §3.3 step 6: on waking, a watchdog pops itself and every
  // deeper one and re-inserts the deeper ones that are not scheduled
  // (innermost first). The run() that installed a timeout restores the
  // interrupt state it found when it returns, even if an outer watchdog
  // popped it earlier: until then it is the watchdog a timeout wakes
  // (upstream switches to main in that case, "strange" in its own words).
  void leave_run(int self) {
    model_tasklet& t = tasklet(self);
    if (t.installed) {
      interrupt_ = *t.installed;
      t.installed.reset();
      if (interrupt_.owner < 0) {
        for (model_tasklet& each : tasklets_) each.pending_interrupt = false;
      }
    }
    auto frame = std::find_if(
        watchdogs_.begin(), watchdogs_.end(),
        [self](const watchdog_frame& w) { return w.tasklet == self; });
    if (frame == watchdogs_.end()) return;  // popped by an outer one
    std::vector<int> deeper;
    for (auto w = frame + 1; w != watchdogs_.end(); ++w)
      deeper.push_back(w->tasklet);
    watchdogs_.erase(frame, watchdogs_.end());
    if (!options_.outer_watchdogs_first)
      std::reverse(deeper.begin(), deeper.end());
    for (int d : deeper) {
      if (!scheduled(d)) runnables_.push_back(d);
    }
  }

  // --- the operations ------------------------------------------------------
  step perform(int self, const operation& op) {
    const int x = op.target;
    switch (op.kind) {
      case op_kind::spawn:
        return finished(spawn(x));
      case op_kind::bind:
        return finished(bind(self, x));
      case op_kind::insert:
        return finished(insert(x));
      case op_kind::remove:
        return finished(remove(self, x));
      case op_kind::run_tasklet:
        return run_tasklet(self, op);
      case op_kind::switch_to:
        return switch_to(self, op);
      case op_kind::kill:
      case op_kind::throw_exception:
        return throw_exception(self, op);
      case op_kind::send:
      case op_kind::send_exception:
      case op_kind::receive:
        return channel_operation(self, op);
      case op_kind::schedule:
        if (runnables_.size() == 1) return finished(returned("ok"));
        if (op.trapped) return finished(threw(failure_kind::switch_trap));
        runnables_.push_back(self);  // §3: the caller goes to the tail
        runnables_.pop_front();
        return switched_away();
      case op_kind::schedule_remove:
        return block(self, op, [] {});
      case op_kind::run:
      case op_kind::run_watchdog:
        return run(self, op);
      case op_kind::tick:
        return tick(self, op);
      case op_kind::close:
        channel(x).closing = true;
        return finished(returned("ok"));
      case op_kind::open:
        channel(x).closing = false;
        return finished(returned("ok"));
      case op_kind::set_preference:
        // §4: the setter keeps only the sign.
        channel(x).preference = op.value > 0 ? 1 : op.value < 0 ? -1 : 0;
        return finished(returned("ok"));
      case op_kind::set_schedule_all:
        channel(x).schedule_all = op.value != 0;
        return finished(returned("ok"));
      case op_kind::set_atomic: {
        model_tasklet& t = tasklet(self);
        const bool old = t.atomic;
        t.atomic = op.value != 0;
        return finished(returned(old ? "old=1" : "old=0"));
      }
      case op_kind::set_block_trap:
        tasklet(self).block_trap = op.value != 0;
        return finished(returned("ok"));
    }
    return finished(returned("other(model: unknown operation)"));
  }

  // spawn: bind(body) if not alive, then setup() (§2.1): slp::error if
  // alive; otherwise alive, not started, at the tail of the runnables.
  result spawn(int x) {
    model_tasklet& t = tasklet(x);
    if (t.alive) return threw(failure_kind::error);
    t.alive = true;
    t.started = false;
    t.bomb.reset();
    t.pc = 0;
    t.in_op = false;
    runnables_.push_back(x);
    return returned("ok");
  }

  // bind (§2.1): errors for the current tasklet, a scheduled or blocked
  // one, and a started, unfinished one (main always is). A tasklet set up
  // but not started and paused is rebound and so is no longer alive: the
  // contract lists no error for it, and SB §2.2 drops its arguments.
  result bind(int self, int x) {
    model_tasklet& t = tasklet(x);
    if (x == self || scheduled(x) || (t.alive && t.started))
      return threw(failure_kind::error);
    t.alive = false;
    t.bomb.reset();
    return returned("ok");
  }

  // insert (§2.2): blocked: error; scheduled: no-op; dead: error.
  result insert(int x) {
    if (blocked(x)) return threw(failure_kind::error);
    if (runnable(x)) return returned("ok");
    if (!tasklet(x).alive) return threw(failure_kind::error);
    runnables_.push_back(x);
    return returned("ok");
  }

  // remove (§2.2): blocked or current: error; not scheduled: no-op.
  result remove(int self, int x) {
    if (blocked(x) || x == self) return threw(failure_kind::error);
    if (runnable(x)) unlink(x);
    return returned("ok");
  }

  // run (§2.2, SB §2.4): a paused target lands just before the caller, a
  // scheduled one is jumped to; on the caller itself, nothing happens.
  step run_tasklet(int self, const operation& op) {
    const int x = op.target;
    if (blocked(x)) return finished(threw(failure_kind::error));
    if (x == self) return finished(returned("ok"));
    if (!tasklet(x).alive) return finished(threw(failure_kind::error));
    if (op.trapped) return finished(threw(failure_kind::switch_trap));
    if (!runnable(x)) runnables_.push_back(x);
    rotate_to(x);
    return switched_away();
  }

  // switch_to (§2.2): like run(), and the caller is paused; a pure no-op
  // on the current tasklet.
  step switch_to(int self, const operation& op) {
    const int x = op.target;
    if (x == self) return finished(returned("ok"));
    if (blocked(x) || !tasklet(x).alive)
      return finished(threw(failure_kind::error));
    if (op.trapped) return finished(threw(failure_kind::switch_trap));
    if (!runnable(x)) runnables_.push_back(x);
    runnables_.pop_front();
    rotate_to(x);
    return switched_away();
  }

  // kill / throw_exception (§2.3).
  step throw_exception(int self, const operation& op) {
    const int x = op.target;
    const bool kill = op.kind == op_kind::kill;
    const failure f = kill ? failure{failure_kind::exit, 0}
                           : failure{failure_kind::prog, op.value};
    model_tasklet& t = tasklet(x);
    if (!t.alive) {
      // kill: no-op on a dead or unbound tasklet; throw: slp::error.
      return finished(kill ? returned("ok") : threw(failure_kind::error));
    }
    if (x == self) return finished(threw(f));  // thrown synchronously
    if (op.pending) {
      // Made runnable at the tail; the caller continues. A target that
      // is already runnable keeps its place (SB §2.5: insert() is a no-op
      // for a scheduled tasklet).
      t.bomb = f;
      if (blocked(x)) unblock(x);
      if (!runnable(x)) runnables_.push_back(x);
      return finished(returned("ok"));
    }
    if (op.trapped) return finished(threw(failure_kind::switch_trap));
    // The target runs now, and when it yields or ends the caller is next:
    // it goes just before the caller, wherever it was.
    t.bomb = f;
    if (blocked(x)) unblock(x);
    if (runnable(x)) unlink(x);
    runnables_.push_back(x);
    rotate_to(x);
    return switched_away();
  }

  // channel_operation (§4, §4.2).
  step channel_operation(int self, const operation& op) {
    model_channel& ch = channel(op.target);
    const int direction = op.kind == op_kind::receive ? -1 : 1;
    const message offer{op.kind == op_kind::send_exception, op.value};
    const bool partner_waiting =
        direction > 0 ? ch.balance < 0 : ch.balance > 0;
    if (!partner_waiting) {
      // §4.2: the checks that come first: block_trap, then closing.
      if (tasklet(self).block_trap)
        return finished(threw(failure_kind::block_trap));
      if (ch.closing) return finished(threw(failure_kind::closed));
      return block(self, op, [this, self, op, direction, offer] {
        enqueue(self, op.target, direction, offer);
      });
    }
    const int partner = ch.queue.front();
    enum class placement { both_deferred, partner_runs, caller_continues };
    placement how = placement::caller_continues;
    if (ch.schedule_all) {
      how = placement::both_deferred;
    } else if ((direction > 0 && ch.preference == -1) ||
               (direction < 0 && ch.preference == 1)) {
      how = placement::partner_runs;
    }
    if (how != placement::caller_continues && op.trapped)
      return finished(threw(failure_kind::switch_trap));
    unblock(partner);
    std::optional<message> received;
    if (direction > 0) {
      tasklet(partner).inbox = offer;
    } else {
      received = tasklet(partner).offer;
    }
    switch (how) {
      case placement::both_deferred:  // [a, ..., z, P, S]
        runnables_.push_back(partner);
        runnables_.push_back(self);
        runnables_.pop_front();
        tasklet(self).inbox = received;
        return switched_away();
      case placement::partner_runs:  // [P, a, ..., z, S]
        runnables_.pop_front();
        runnables_.push_front(partner);
        runnables_.push_back(self);
        tasklet(self).inbox = received;
        return switched_away();
      case placement::caller_continues:  // [S, a, ..., z, P]
        runnables_.push_back(partner);
        break;
    }
    if (!received) return finished(returned("ok"));
    if (received->is_exception)
      return finished(threw(failure{failure_kind::prog, received->value}));
    return finished(returned("=" + std::to_string(received->value)));
  }

  // block: the caller would block (a channel with no partner, or
  // schedule_remove). `park` links it where it waits. §3.2 / SB §3.6.
  template <class Park>
  step block(int self, const operation& op, Park park) {
    if (runnables_.size() > 1) {
      if (op.trapped) return finished(threw(failure_kind::switch_trap));
      park();
      runnables_.pop_front();
      return switched_away();
    }
    const int w = innermost_watchdog();
    if (w == self) {
      // Main alone outside run(). A channel operation: deadlock_error
      // (§3.2). schedule_remove: main stays current and returns at once
      // (SB §3.1 [obs]; the contract does not say).
      if (op.kind == op_kind::schedule_remove) return finished(returned("ok"));
      return finished(threw(failure_kind::deadlock));
    }
    if (blocked(w)) return finished(threw(failure_kind::deadlock));
    if (op.trapped) return finished(threw(failure_kind::switch_trap));
    park();
    runnables_.pop_front();
    runnables_.push_back(w);  // its run() returns nullopt
    return switched_away();
  }

  // run (§3, SB §3.3): the caller leaves the runnables as a watchdog; with
  // nothing else runnable it returns nullopt at once, without a switch.
  step run(int self, const operation& op) {
    if (runnables_.size() == 1) return finished(returned("none"));
    if (op.trapped) return finished(threw(failure_kind::switch_trap));
    watchdogs_.push_back(watchdog_frame{self});
    if (op.kind == op_kind::run_watchdog && interrupt_.owner < 0) {
      // SB §3.3: only the outermost run() with a timeout installs it.
      tasklet(self).installed = interrupt_;
      interrupt_.owner = self;
      interrupt_.timeout = static_cast<std::uint64_t>(op.value);
    }
    runnables_.pop_front();
    return switched_away();
  }

  // tick (§5): hard interrupts, per-tasklet counts.
  step tick(int self, const operation& op) {
    if (interrupt_.owner < 0) return finished(returned("ok"));
    model_tasklet& t = tasklet(self);
    ticks_ += static_cast<std::uint64_t>(op.value);
    if (ticks_ <= interrupt_.timeout && !t.pending_interrupt)
      return finished(returned("ok"));
    if (t.atomic || op.trapped) {
      // Deferred: fires at the first tick() after the condition clears.
      t.pending_interrupt = true;
      ticks_ = 0;
      return finished(returned("ok"));
    }
    t.pending_interrupt = false;
    const int owner = interrupt_.owner;
    tasklet(owner).run_result = self;
    runnables_.pop_front();  // the victim is paused
    wake(owner);
    return switched_away();
  }

  const program& program_;
  const model_options options_;
  std::vector<model_tasklet> tasklets_;
  std::vector<model_channel> channels_;
  std::deque<int> runnables_;  // front: the current tasklet
  std::vector<watchdog_frame> watchdogs_;
  interrupt_state interrupt_;
  std::uint64_t ticks_ = 0;
  bool done_ = false;
  trace out_;
};

}  // namespace

model_options parse_model_options(const std::string& names) {
  model_options o;
  std::size_t start = 0;
  while (start < names.size()) {
    std::size_t comma = names.find(',', start);
    if (comma == std::string::npos) comma = names.size();
    const std::string name = names.substr(start, comma - start);
    if (name == "outer-watchdogs-first") {
      o.outer_watchdogs_first = true;
    } else if (!name.empty()) {
      throw std::invalid_argument("unknown model assumption '" + name + "'");
    }
    start = comma + 1;
  }
  return o;
}

std::string to_text(const model_options& o) {
  std::string s;
  if (o.outer_watchdogs_first) s += "outer-watchdogs-first";
  return s.empty() ? "none" : s;
}

trace run_model(const program& p, const model_options& options) {
  return model(p, options).run();
}

}  // namespace slp_model
