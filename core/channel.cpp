// SPDX-License-Identifier: MIT
// slp — channels: the rendezvous of API.md §4 (who meets whom, how the
// value changes hands, who runs after), built on the scheduler's park/wake
// seam, and the untyped entry points slp::channel<T> calls.
#include "slp/channel.hpp"

#include <cstdint>
#include <mutex>
#include <string>

#include "core/channel_state.hpp"
#include "core/handle_access.hpp"
#include "core/scheduler.hpp"
#include "core/switch_entries.hpp"
#include "core/tasklet_impl.hpp"
#include "slp/errors.hpp"

namespace slp::core {

namespace {

std::string message(const char* operation, const char* what) {
  return std::string(operation) + ": " + what;
}

const char* operation_name(int direction) {
  return direction > 0 ? "slp::channel::send" : "slp::channel::receive";
}

[[noreturn, gnu::cold, gnu::noinline]] void refuse_inside_hook(int direction) {
  throw error(
      message(operation_name(direction),
              "recursive channel call: no channel operation inside a hook"));
}

// pass_value: a value changes hands through the partner's mailbox: the
// sender's goes in, or the waiting sender's comes out to the receiver.
// `plain_size` is ops.plain_size as the caller read it: a caller that has
// tested it passes what it tested, so that a plain T is copied without
// reading ops again.
inline void pass_value(bool sending, const detail::value_ops& ops,
                       std::size_t plain_size, tasklet_impl& partner,
                       void* data) {
  if (sending) {
    partner.mail.put(ops, plain_size, data);
  } else {
    partner.mail.take(ops, plain_size, data);
  }
}

// The rendezvous, in the order a channel operation meets them. Each
// function from meet() on is entered with the channel's lock taken by its
// caller, and releases it, or hands it on to the function it calls.
void channel_action_rare(channel_state& ch, int direction,
                         const detail::value_ops& ops, void* data,
                         const std::exception_ptr* exception);
// Outermost: the fast path began the section (core/owner_gate.hpp), and
// the function the rendezvous ends in ends it too (section_end): a kill
// that unwinds the tasklet from there meets one cleanup, not two frames.
template <bool Outermost>
void meet(scheduler& s, channel_state& ch, int direction,
          const detail::value_ops& ops, void* data,
          const std::exception_ptr* exception);
template <bool Outermost>
[[gnu::noinline]] void hand_off(scheduler& s, channel_state& ch, int direction,
                                const detail::value_ops& ops, void* data,
                                const std::exception_ptr* exception);
template <bool Outermost>
[[gnu::noinline]] void hand_off_general(scheduler& s, channel_state& ch,
                                        int direction,
                                        const detail::value_ops& ops,
                                        void* data,
                                        const std::exception_ptr* exception);
template <int Direction, bool Outermost>
[[gnu::noinline]] void wait_on(scheduler& s, channel_state& ch,
                               const detail::value_ops& ops, void* data,
                               const std::exception_ptr* exception);

// section_end: with Outermost, leaves the section when the scope ends,
// however it ends; without, nothing (the rare path's own section does).
template <bool Outermost>
struct section_end {
  section_end() noexcept = default;
  section_end(const section_end&) = delete;
  section_end& operator=(const section_end&) = delete;
  ~section_end() {
    if constexpr (Outermost) scheduler::leave_outermost();
  }
};

// channel_action: first the checks that change nothing (hooks, the
// would-block decision and its errors), then, under the channel's lock,
// the value moves between the caller's own stack and a mailbox and the
// queue changes; the runnables change after the lock is released. Inline
// in the entry points, doing only what the common case needs: whatever
// needs more (the thread's first scheduler, a hook running or installed,
// other threads' requests, a section already open, a visitor at the
// gate, a lock not taken at once) goes to
// channel_action_rare, which does it all. The split stays for
// BM_SlpChannelPingPong (channel_bench).
inline void channel_action(channel_state& ch, int direction,
                           const detail::value_ops& ops, void* data,
                           const std::exception_ptr* exception) {
  scheduler* s = scheduler::if_exists();
  // A hook runs inside a section: gate().inside() covers hooks().running().
  if (s == nullptr || s->gate().inside() || s->requests().pending() ||
      published_hooks.load(std::memory_order_acquire) != nullptr) {
    channel_action_rare(ch, direction, ops, data, exception);
    return;
  }
  if (!s->gate().try_enter_outermost()) {
    channel_action_rare(ch, direction, ops, data, exception);
    return;
  }
  if (!ch.lock.try_lock_fast()) {
    scheduler::leave_outermost();
    channel_action_rare(ch, direction, ops, data, exception);
    return;
  }
  meet<true>(*s, ch, direction, ops, data, exception);
}

[[gnu::noinline]] void channel_action_rare(
    channel_state& ch, int direction, const detail::value_ops& ops, void* data,
    const std::exception_ptr* exception) {
  scheduler& s = scheduler::of_this_thread();
  if (s.hooks().running()) refuse_inside_hook(direction);
  owner_gate::section inside(s.gate());
  s.drain_incoming();
  if (published_hooks.load(std::memory_order_acquire) != nullptr) {
    const int balance = ch.balance.load(std::memory_order_relaxed);
    s.hooks().channel(ch, s.current(), direction > 0,
                      direction > 0 ? balance >= 0 : balance <= 0);
  }
  ch.lock.lock();
  meet<false>(s, ch, direction, ops, data, exception);
}

// meet: a partner waits (hand_off) or not (wait_on).
template <bool Outermost>
inline void meet(scheduler& s, channel_state& ch, int direction,
                 const detail::value_ops& ops, void* data,
                 const std::exception_ptr* exception) {
  const int balance = ch.balance.load(std::memory_order_relaxed);
  if (direction > 0 ? balance < 0 : balance > 0) {
    hand_off<Outermost>(s, ch, direction, ops, data, exception);
    return;
  }
  if (direction > 0) {
    wait_on<+1, Outermost>(s, ch, ops, data, exception);
  } else {
    wait_on<-1, Outermost>(s, ch, ops, data, exception);
  }
}

// post_own_mail: a waiting sender's exception or non-plain value goes into
// its own mailbox (which may throw).
[[gnu::noinline]] void post_own_mail(tasklet_impl& self,
                                     const detail::value_ops& ops, void* data,
                                     const std::exception_ptr* exception) {
  if (exception != nullptr) {
    self.mail.put_exception(*exception);
  } else {
    self.mail.put(ops, 0, data);
  }
}

// refuse_to_wait: wait_on's errors (block_trap first).
[[noreturn, gnu::cold, gnu::noinline]] void refuse_to_wait(
    const tasklet_impl& self, const char* operation) {
  if (self.block_trap) {
    throw block_trap_error(
        message(operation, "this tasklet does not like to be blocked."));
  }
  throw channel_closed_error(
      message(operation, "Send/receive operation on a closed channel"));
}

// raise_mail: a receiver woken with an exception raises it; woken with no
// mail at all, it says so.
[[noreturn, gnu::cold, gnu::noinline]] void raise_mail(tasklet_impl& self,
                                                       const char* operation) {
  if (self.mail.holds_exception()) {
    std::rethrow_exception(self.mail.take_exception());
  }
  throw error(message(operation, "woken without a value"));
}

// give_back_mail: while a waiter unwinds out of its wait (not blocked after
// all: deadlock, switch trap, no memory; or woken with an exception), what
// is still in its mailbox goes back to the sender or away.
[[gnu::noinline, gnu::cold]] void give_back_mail(tasklet_impl& self,
                                                 const detail::value_ops& ops,
                                                 void* data,
                                                 bool sending) noexcept {
  if (sending && self.mail.holds(ops)) self.mail.restore(ops, data);
  self.mail.clear();  // a value handed to this receiver is destroyed
}

// unwind_mail: give_back_mail() when the scope is left by an exception
// (armed until the code disarms it on its normal way out).
struct unwind_mail {
  tasklet_impl& self;
  const detail::value_ops& ops;
  void* data;
  bool sending;
  bool armed = true;
  ~unwind_mail() {
    if (armed) give_back_mail(self, ops, data, sending);
  }
};

// wait_on: nobody waits on `ch` for the running tasklet: it parks there, a
// sender with its value in its mailbox, until a partner arrives; a
// receiver then takes its mail. One function per direction, so that each
// keeps only what it needs.
template <int Direction, bool Outermost>
void wait_on(scheduler& s, channel_state& ch, const detail::value_ops& ops,
             void* data, const std::exception_ptr* exception) {
  section_end<Outermost> end;
  channel_lock::held lock(ch.lock, std::adopt_lock);
  constexpr bool sending = Direction > 0;
  const char* op = operation_name(Direction);
  tasklet_impl& self = s.current();
  if (self.block_trap || ch.closing.load(std::memory_order_relaxed)) {
    refuse_to_wait(self, op);
  }
  if (sending) {
    const std::size_t plain_size = ops.plain_size;
    if (plain_size != 0 && exception == nullptr) {
      self.mail.put(ops, plain_size, data);
    } else {
      post_own_mail(self, ops, data, exception);
    }
  }
  {
    // Not parked after all (deadlock, switch trap, no memory), or woken
    // with an exception (a kill): what is in the mailbox goes back. A
    // cleanup, not a handler that rethrows, so that a kill unwinds the
    // tasklet in one pass; disarmed on the way out, it costs the
    // ping-pong nothing (BM_SlpChannelPingPong).
    unwind_mail give_back{self, ops, data, sending};
    s.park(op, &ch, [&](tasklet_impl& me) {
      ch.append(me, Direction);
      lock.unlock();
    });
    give_back.armed = false;
  }
  if (!sending) {
    // A receiver, resumed, takes what its partner left in its mailbox.
    if (self.mail.empty() || self.mail.holds_exception()) raise_mail(self, op);
    self.mail.take(ops, ops.plain_size, data);
  }
}

// hand_off: the running tasklet S meets P, the head of the queue. The
// value changes hands through P's mailbox, P leaves the queue, the lock is
// released, and the runnables change as API.md §4.2's table says. A P of
// another thread is made runnable there instead, and S continues.
//
// Here, the common case: a plain value (no exception), a partner of this
// thread, and the caller continues (no schedule_all, and the preference
// does not favour the partner); hand_off_general does the rest. The split
// stays for BM_SlpChannelPingPong (channel_bench).
template <bool Outermost>
void hand_off(scheduler& s, channel_state& ch, int direction,
              const detail::value_ops& ops, void* data,
              const std::exception_ptr* exception) {
  tasklet_impl& partner = *ch.head;
  const int preference = ch.preference.load(std::memory_order_relaxed);
  const std::size_t plain_size = ops.plain_size;
  if (plain_size == 0 || exception != nullptr ||
      partner.owner.load(std::memory_order_relaxed) != &s ||
      ch.schedule_all.load(std::memory_order_relaxed) ||
      (direction > 0 ? preference < 0
                     : preference > 0 || !partner.mail.holds(ops))) {
    // takes the lock
    hand_off_general<Outermost>(s, ch, direction, ops, data, exception);
    return;
  }
  section_end<Outermost> end;
  pass_value(direction > 0, ops, plain_size, partner, data);
  ch.unlink(partner);
  ch.lock.unlock();
  s.wake_here(partner);  // [S, a, ..., z, P]
  s.release_pending();
}

// take_back_hand_off: while a hand-off whose switch could not happen unwinds,
// the value goes back where it came from.
[[gnu::noinline, gnu::cold]] void take_back_hand_off(
    tasklet_impl& partner, const detail::value_ops& ops, void* data,
    bool sending, const std::exception_ptr& received) noexcept {
  if (sending) {
    if (partner.mail.holds(ops)) partner.mail.restore(ops, data);
    partner.mail.clear();
  } else if (received) {
    partner.mail.put_exception(received);
  } else {
    partner.mail.untake(ops, data);
  }
}

template <bool Outermost>
void hand_off_general(scheduler& s, channel_state& ch, int direction,
                      const detail::value_ops& ops, void* data,
                      const std::exception_ptr* exception) {
  section_end<Outermost> end;
  channel_lock::held lock(ch.lock, std::adopt_lock);
  const bool sending = direction > 0;
  tasklet_impl& partner = *ch.head;
  const bool local = partner.owner.load(std::memory_order_relaxed) == &s;
  const int preference = ch.preference.load(std::memory_order_relaxed);
  const bool schedule_all =
      local && ch.schedule_all.load(std::memory_order_relaxed);
  const bool partner_first =
      local && (sending ? preference < 0 : preference > 0);
  if (schedule_all || partner_first) s.check_switch(operation_name(direction));
  std::exception_ptr received;  // a sender's exception, for this receiver
  if (sending && exception != nullptr) {
    partner.mail.put_exception(*exception);
  } else if (!sending && partner.mail.holds_exception()) {
    received = partner.mail.take_exception();
  } else {
    pass_value(sending, ops, ops.plain_size, partner, data);
  }
  const wait_place was{partner.prev,
                       partner.blocked.load(std::memory_order_relaxed)};
  ch.unlink(partner);
  lock.unlock();
  if (!schedule_all && !partner_first) {  // S continues: nothing to undo
    s.wake(partner);                      // [S, a, ..., z, P]
    s.release_pending();
  } else {
    // If the switch cannot happen, the value goes back where it came from
    // (a cleanup, not a handler that rethrows: a kill of this tasklet,
    // raised where it resumes, unwinds it in one pass).
    struct take_back_on_unwind {
      scheduler& s;
      tasklet_impl& partner;
      const detail::value_ops& ops;
      void* data;
      bool sending;
      const std::exception_ptr& received;
      bool armed = true;
      ~take_back_on_unwind() {
        if (armed && s.switch_failed()) {
          take_back_hand_off(partner, ops, data, sending, received);
        }
      }
    } take_back{s, partner, ops, data, sending, received};
    s.wake_and_yield(partner, ch, was,
                     schedule_all ? placement::tail : placement::first);
    take_back.armed = false;
  }
  if (received) std::rethrow_exception(received);
}

}  // namespace

// detail::channel_send() and detail::channel_receive() are thunks in
// arch/switch_entries.S that call these.
void channel_send_body(channel_state& ch, const detail::value_ops& ops,
                       void* value, const std::exception_ptr* exception) {
  channel_action(ch, +1, ops, value, exception);
}

void channel_receive_body(channel_state& ch, const detail::value_ops& ops,
                          void* out) {
  channel_action(ch, -1, ops, out, nullptr);
}

}  // namespace slp::core

namespace slp::detail {

core::channel_state* channel_new() { return new core::channel_state(); }

core::channel_state* channel_add_ref(core::channel_state* ch) noexcept {
  if (ch != nullptr) ch->refs.fetch_add(1, std::memory_order_relaxed);
  return ch;
}

void channel_release(core::channel_state* ch) noexcept {
  if (ch == nullptr || ch->refs.fetch_sub(1, std::memory_order_acq_rel) != 1) {
    return;
  }
  // The last handle: tasklets still waiting are let go, paused (as
  // Stackless' channel_clear does), before the state is freed.
  {
    std::lock_guard<core::channel_lock> lock(ch->lock);
    while (ch->head != nullptr) {
      core::tasklet_impl& t = *ch->head;
      ch->unlink(t);
    }
  }
  delete ch;
}

void channel_set_preference(core::channel_state& ch, int preference) noexcept {
  ch.preference.store((preference > 0) - (preference < 0),
                      std::memory_order_relaxed);
}

void channel_set_schedule_all(core::channel_state& ch, bool flag) noexcept {
  ch.schedule_all.store(flag, std::memory_order_relaxed);
}

void channel_set_closing(core::channel_state& ch, bool closing) noexcept {
  ch.closing.store(closing, std::memory_order_relaxed);
}

std::optional<tasklet> channel_queue(const core::channel_state& ch) {
  std::lock_guard<core::channel_lock> lock(ch.lock);
  if (ch.head == nullptr) return std::nullopt;
  return core::handle_access::adopt(core::add_ref(ch.head));
}

}  // namespace slp::detail

namespace slp {

std::uint64_t channel_ref::id() const noexcept { return state_->id; }
int channel_ref::balance() const noexcept { return state_->balance; }
int channel_ref::preference() const noexcept { return state_->preference; }
bool channel_ref::schedule_all() const noexcept { return state_->schedule_all; }
bool channel_ref::closing() const noexcept { return state_->closing; }
bool channel_ref::closed() const noexcept {
  return closing() && balance() == 0;
}

}  // namespace slp
