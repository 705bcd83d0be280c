// Channels: the rendezvous of API.md §4 as scheduler operations, and the
// untyped entry points slp::channel<T> calls.
#include "slp/channel.hpp"

#include <cstdint>
#include <cstring>
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

// copy_plain: copies `n` bytes, 1 to 16, without a call: two copies of
// 8, 4 or 1 bytes that overlap as much as `n` needs, and a middle byte.
inline void copy_plain(void* to, const void* from, std::size_t n) noexcept {
  auto* d = static_cast<unsigned char*>(to);
  const auto* s = static_cast<const unsigned char*>(from);
  if (n >= 8) {
    std::uint64_t head, tail;
    std::memcpy(&head, s, 8);
    std::memcpy(&tail, s + n - 8, 8);
    std::memcpy(d, &head, 8);
    std::memcpy(d + n - 8, &tail, 8);
  } else if (n >= 4) {
    std::uint32_t head, tail;
    std::memcpy(&head, s, 4);
    std::memcpy(&tail, s + n - 4, 4);
    std::memcpy(d, &head, 4);
    std::memcpy(d + n - 4, &tail, 4);
  } else {
    const unsigned char first = s[0], middle = s[n / 2], last = s[n - 1];
    d[0] = first;
    d[n / 2] = middle;
    d[n - 1] = last;
  }
}

// put_value / take_value: ops.put and ops.take, the copy inline for a
// plain T. `plain_size` is ops.plain_size as the caller read it: a caller
// that has tested it already passes what it tested, so that the compiler
// drops the call (an atomic load in between would make it read again).
inline void put_value(const detail::value_ops& ops, std::size_t plain_size,
                      detail::mailbox_storage& box, void* value) {
  if (plain_size != 0) {
    copy_plain(box.bytes, value, plain_size);
  } else {
    ops.put(box, value);
  }
}

inline void take_value(const detail::value_ops& ops, std::size_t plain_size,
                       detail::mailbox_storage& box, void* out) {
  if (plain_size != 0) {
    copy_plain(out, box.bytes, plain_size);
  } else {
    ops.take(box, out);
  }
}

// pass_value: a value changes hands through the partner's mailbox: the
// sender's goes in, or the waiting sender's comes out to the receiver.
inline void pass_value(bool sending, const detail::value_ops& ops,
                       std::size_t plain_size, tasklet_impl& partner,
                       void* data) {
  if (sending) {
    put_value(ops, plain_size, partner.mail, data);
    partner.mail_ops = &ops;
  } else {
    take_value(ops, plain_size, partner.mail, data);
    partner.mail_ops = nullptr;
  }
}

}  // namespace

// meet: under the channel's lock, a partner waits (hand_off) or not
// (wait_on).
inline void scheduler::meet(channel_state& ch, int direction,
                            const detail::value_ops& ops, void* data,
                            const std::exception_ptr* exception) {
  const int balance = ch.balance.load(std::memory_order_relaxed);
  if (direction > 0 ? balance < 0 : balance > 0) {
    hand_off(ch, direction, ops, data, exception);
    return;
  }
  if (direction > 0) {
    wait_on<+1>(ch, ops, data, exception);
  } else {
    wait_on<-1>(ch, ops, data, exception);
  }
}

// channel_action: first the checks that change nothing (hooks, the
// would-block decision and its errors), then, under the channel's lock,
// the value moves between the caller's own stack and a mailbox and the
// queue changes; the runnables change after the lock is released. Inline
// in the entry points, with no call but tail calls (so no register to
// save): whatever would need a call (the thread's first scheduler, a hook
// running or installed, other threads' requests, a lock not taken at once)
// sends it to channel_action_rare, which does it all.
inline void scheduler::channel_action(channel_state& ch, int direction,
                                      const detail::value_ops& ops, void* data,
                                      const std::exception_ptr* exception) {
  scheduler* self = if_exists();
  if (self == nullptr || self->in_hook_ ||
      self->has_incoming_.load(std::memory_order_acquire) ||
      published_hooks.load(std::memory_order_acquire) != nullptr ||
      !ch.lock.try_lock_fast()) {
    channel_action_rare(ch, direction, ops, data, exception);
    return;
  }
  self->meet(ch, direction, ops, data, exception);
}

void scheduler::channel_action_rare(channel_state& ch, int direction,
                                    const detail::value_ops& ops, void* data,
                                    const std::exception_ptr* exception) {
  scheduler& self = of_this_thread();
  if (self.in_hook_) refuse_inside_hook(direction);
  self.drain_incoming();
  if (published_hooks.load(std::memory_order_acquire) != nullptr) {
    const int balance = ch.balance.load(std::memory_order_relaxed);
    self.notify_channel(ch, *self.running_, direction > 0,
                        direction > 0 ? balance >= 0 : balance <= 0);
  }
  ch.lock.lock();
  self.meet(ch, direction, ops, data, exception);
}

// wait_on: nobody waits on `ch` (whose lock the caller holds) for the
// running tasklet: it blocks there, a sender with its value in its
// mailbox, until a partner arrives; a receiver then takes its mail. One
// function per direction, so that each keeps only what it needs.
template <int Direction>
void scheduler::wait_on(channel_state& ch, const detail::value_ops& ops,
                        void* data, const std::exception_ptr* exception) {
  constexpr bool sending = Direction > 0;
  const char* op = operation_name(Direction);
  tasklet_impl& self = *running_;
  if (self.block_trap || ch.closing.load(std::memory_order_relaxed)) {
    refuse_to_wait(ch, self, op);
  }
  if (sending) {
    const std::size_t plain_size = ops.plain_size;
    if (plain_size != 0 && exception == nullptr) {
      copy_plain(self.mail.bytes, data, plain_size);
      self.mail_ops = &ops;
    } else {
      post_own_mail(ch, self, ops, data, exception);
    }
  }
  try {
    leave_ring(op, &ch, Direction);  // releases the lock once queued
  } catch (...) {
    // Not blocked after all (deadlock, switch trap, no memory), or woken
    // with an exception: what is still in the mailbox goes back or away.
    if (sending && self.mail_ops == &ops) {
      ops.restore(self.mail, data);
      self.mail_ops = nullptr;
    }
    self.clear_mail();  // a value handed to this receiver is destroyed
    throw;
  }
  if (!sending) take_mail(self, ops, data, op);
}

// post_own_mail: a waiting sender's exception or non-plain value goes into
// its own mailbox; if that throws, the lock is released.
void scheduler::post_own_mail(channel_state& ch, tasklet_impl& self,
                              const detail::value_ops& ops, void* data,
                              const std::exception_ptr* exception) {
  try {
    if (exception != nullptr) {
      self.put_mail_exception(*exception);
    } else {
      ops.put(self.mail, data);
      self.mail_ops = &ops;
    }
  } catch (...) {
    ch.lock.unlock();
    throw;
  }
}

// refuse_to_wait: wait_on's errors (block_trap first), the lock released.
void scheduler::refuse_to_wait(channel_state& ch, const tasklet_impl& self,
                               const char* operation) {
  ch.lock.unlock();
  if (self.block_trap) {
    throw block_trap_error(
        message(operation, "this tasklet does not like to be blocked."));
  }
  throw channel_closed_error(
      message(operation, "Send/receive operation on a closed channel"));
}

// take_mail: a receiver, resumed, takes what its partner left in its
// mailbox: a value here, anything else in raise_mail.
inline void scheduler::take_mail(tasklet_impl& self,
                                 const detail::value_ops& ops, void* out,
                                 const char* operation) {
  if (self.mail_ops == nullptr || self.mail_is_exception()) {
    raise_mail(self, operation);
  }
  self.mail_ops = nullptr;
  take_value(ops, ops.plain_size, self.mail, out);
}

// raise_mail: a receiver woken with an exception raises it; woken with no
// mail at all, it says so.
void scheduler::raise_mail(tasklet_impl& self, const char* operation) {
  if (self.mail_is_exception()) {
    std::rethrow_exception(self.take_mail_exception());
  }
  throw error(message(operation, "woken without a value"));
}

// hand_off: under the channel's lock, the running tasklet S meets P, the
// head of the queue. The value changes hands through P's mailbox, P leaves
// the queue, the lock is released, and the runnables change as API.md
// §4.2's table says. A P of another thread is made runnable there instead,
// and S continues.
//
// The fast path: a plain value (no exception), a partner of this thread,
// and the caller continues (API.md §4.2: no schedule_all, and the
// preference does not favour the partner). Nothing there can throw or
// needs undoing, and it calls nothing; hand_off_general does the rest.
void scheduler::hand_off(channel_state& ch, int direction,
                         const detail::value_ops& ops, void* data,
                         const std::exception_ptr* exception) {
  tasklet_impl& partner = *ch.head;
  const int preference = ch.preference.load(std::memory_order_relaxed);
  const std::size_t plain_size = ops.plain_size;
  if (plain_size == 0 || exception != nullptr ||
      partner.owner.load(std::memory_order_relaxed) != this ||
      ch.schedule_all.load(std::memory_order_relaxed) ||
      (direction > 0 ? preference < 0
                     : preference > 0 || partner.mail_ops != &ops)) {
    hand_off_general(ch, direction, ops, data, exception);
    return;
  }
  pass_value(direction > 0, ops, plain_size, partner, data);
  let_partner_go(ch, partner, true);
  release_pending();
}

// let_partner_go: after a hand-off where the caller continues, the
// partner leaves the queue, the lock is released, and the partner goes to
// the end of the runnables: [S, a, ..., z, P] (to its own thread's if it
// is not `local`).
inline void scheduler::let_partner_go(channel_state& ch, tasklet_impl& partner,
                                      bool local) {
  dequeue(partner);
  ch.lock.unlock();
  if (local) {
    ring_append(partner);
  } else {
    post_to_owner(partner, remote_request::make_runnable);
  }
}

void scheduler::hand_off_general(channel_state& ch, int direction,
                                 const detail::value_ops& ops, void* data,
                                 const std::exception_ptr* exception) {
  const bool sending = direction > 0;
  tasklet_impl& self = *running_;
  tasklet_impl& partner = *ch.head;
  const bool local = partner.owner.load(std::memory_order_relaxed) == this;
  const int preference = ch.preference.load(std::memory_order_relaxed);
  const bool schedule_all =
      local && ch.schedule_all.load(std::memory_order_relaxed);
  const bool partner_first =
      local && (sending ? preference < 0 : preference > 0);
  if ((schedule_all || partner_first) && (in_hook_ || switch_trap_ > 0)) {
    ch.lock.unlock();
    refuse_switch(operation_name(direction));
  }
  std::exception_ptr received;  // a sender's exception, for this receiver
  try {
    if (sending && exception != nullptr) {
      partner.put_mail_exception(*exception);
    } else if (!sending && partner.mail_is_exception()) {
      received = partner.take_mail_exception();
    } else {
      pass_value(sending, ops, ops.plain_size, partner, data);
    }
  } catch (...) {
    ch.lock.unlock();
    throw;
  }
  if (!schedule_all && !partner_first) {  // S continues: nothing to undo
    let_partner_go(ch, partner, local);
    release_pending();
    if (received) std::rethrow_exception(received);
    return;
  }
  begin();
  unblock(partner);
  ch.lock.unlock();
  if (schedule_all) {  // both to the tail; the next runnable runs
    link_tail(partner);
    current_ = self.next;
  } else {  // [P, a, ..., z, S]
    link_after_current(partner);
    current_ = &partner;
    preferred_hand_off_ = true;
  }
  try {
    switch_to_current();
  } catch (...) {
    if (switch_failed_) {  // no hand-off happened: the value goes back
      if (sending) {
        if (partner.mail_ops == &ops) {
          ops.restore(partner.mail, data);
          partner.mail_ops = nullptr;
        }
        partner.clear_mail();
      } else if (received) {
        partner.put_mail_exception(received);
      } else {
        ops.untake(partner.mail, data);
        partner.mail_ops = &ops;
      }
    }
    throw;
  }
  if (received) std::rethrow_exception(received);
}

}  // namespace slp::core

namespace slp::core {

// detail::channel_send() and detail::channel_receive() are thunks in
// core/switch_entries.S that call these.
void channel_send_body(channel_state& ch, const detail::value_ops& ops,
                       void* value, const std::exception_ptr* exception) {
  scheduler::channel_action(ch, +1, ops, value, exception);
}

void channel_receive_body(channel_state& ch, const detail::value_ops& ops,
                          void* out) {
  scheduler::channel_action(ch, -1, ops, out, nullptr);
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
      t.waiting_on.store(nullptr, std::memory_order_relaxed);
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
