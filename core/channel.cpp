// Channels: the rendezvous of API.md §4 as scheduler operations, and the
// untyped entry points slp::channel<T> calls.
#include "slp/channel.hpp"

#include <string>

#include "core/channel_state.hpp"
#include "core/scheduler.hpp"
#include "core/tasklet_impl.hpp"
#include "slp/errors.hpp"

namespace slp::core {

namespace {

std::string message(const char* operation, const char* what) {
  return std::string(operation) + ": " + what;
}

}  // namespace

// channel_action: first the checks that change nothing (hooks, the
// would-block decision and its errors), then the value moves between the
// caller's own stack and a mailbox, then the tasklets move.
void scheduler::channel_action(channel_state& ch, int direction,
                               const detail::value_ops& ops, void* value,
                               const std::exception_ptr* exception, void* out) {
  const bool sending = direction > 0;
  const char* op = sending ? "slp::channel::send" : "slp::channel::receive";
  if (in_hook_) {
    throw error(message(
        op, "recursive channel call: no channel operation inside a hook"));
  }
  tasklet_impl& self = *running_;
  const bool partner_waits = sending ? ch.balance < 0 : ch.balance > 0;
  notify_channel(ch, self, sending, !partner_waits);

  if (partner_waits) {
    const bool partner_first = sending ? ch.preference < 0 : ch.preference > 0;
    if (ch.schedule_all || partner_first) check_switch(op);
    tasklet_impl& partner = *ch.head;
    std::exception_ptr received;  // a sender's exception, for this receiver
    if (sending) {
      if (exception != nullptr) {
        partner.mail_exception = *exception;
      } else {
        ops.put(partner.mail, value);
        partner.mail_ops = &ops;
      }
    } else if (partner.mail_exception) {
      received = std::exchange(partner.mail_exception, nullptr);
    } else {
      ops.take(partner.mail, out);
      partner.mail_ops = nullptr;
    }
    try {
      hand_off(ch, direction, partner);
    } catch (...) {
      if (switch_failed_) {  // no hand-off happened: the value goes back
        if (sending) {
          if (partner.mail_ops != nullptr) ops.restore(partner.mail, value);
          partner.mail_ops = nullptr;
          partner.mail_exception = nullptr;
        } else if (received) {
          partner.mail_exception = received;
        } else {
          ops.untake(partner.mail, out);
          partner.mail_ops = &ops;
        }
      }
      throw;
    }
    if (received) std::rethrow_exception(received);
    return;
  }

  if (self.block_trap) {
    throw block_trap_error(
        message(op, "this tasklet does not like to be blocked."));
  }
  if (ch.closing) {
    throw channel_closed_error(
        message(op, "Send/receive operation on a closed channel"));
  }
  if (sending) {
    if (exception != nullptr) {
      self.mail_exception = *exception;
    } else {
      ops.put(self.mail, value);
      self.mail_ops = &ops;
    }
  }
  try {
    block_current(op, ch, direction);
  } catch (...) {
    // Not blocked after all (deadlock, switch trap, no memory), or woken
    // with an exception: what is still in the mailbox goes back or away.
    if (sending && self.mail_ops != nullptr) ops.restore(self.mail, value);
    self.mail_ops = nullptr;
    self.clear_mail();
    throw;
  }
  if (!sending) {
    if (self.mail_exception) {
      std::rethrow_exception(std::exchange(self.mail_exception, nullptr));
    }
    if (self.mail_ops == nullptr)
      throw error(message(op, "woken without a value"));
    self.mail_ops = nullptr;
    ops.take(self.mail, out);
  }
}

// hand_off: the running tasklet S has met P, the head of the queue, and
// the value has changed hands; P leaves the queue and the runnables change
// as API.md §4.2's table says.
void scheduler::hand_off(channel_state& ch, int direction,
                         tasklet_impl& partner) {
  const bool sending = direction > 0;
  const bool partner_first = sending ? ch.preference < 0 : ch.preference > 0;
  begin();
  tasklet_impl& self = *running_;
  unblock(partner);
  if (ch.schedule_all) {  // both to the tail; the next runnable runs
    link_tail(partner);
    current_ = self.next;
  } else if (partner_first) {  // [P, a, ..., z, S]
    link_after_current(partner);
    current_ = &partner;
    preferred_hand_off_ = true;
  } else {  // [S, a, ..., z, P]: S continues
    link_tail(partner);
    journal_size_ = 0;
    release_pending();
    return;
  }
  switch_to_current();
}

}  // namespace slp::core

namespace slp::detail {

void channel_send(core::channel_state& ch, const value_ops& ops, void* value,
                  const std::exception_ptr* exception) {
  core::scheduler::of_this_thread().channel_action(ch, +1, ops, value,
                                                   exception, nullptr);
}

void channel_receive(core::channel_state& ch, const value_ops& ops, void* out) {
  core::scheduler::of_this_thread().channel_action(ch, -1, ops, nullptr,
                                                   nullptr, out);
}

core::channel_state* channel_new() { return new core::channel_state(); }

core::channel_state* channel_add_ref(core::channel_state* ch) noexcept {
  if (ch != nullptr) ch->refs.fetch_add(1, std::memory_order_relaxed);
  return ch;
}

void channel_release(core::channel_state* ch) noexcept {
  if (ch != nullptr && ch->refs.fetch_sub(1, std::memory_order_acq_rel) == 1)
    delete ch;
}

void channel_set_preference(core::channel_state& ch, int preference) noexcept {
  ch.preference = (preference > 0) - (preference < 0);
}

void channel_set_schedule_all(core::channel_state& ch, bool flag) noexcept {
  ch.schedule_all = flag;
}

void channel_set_closing(core::channel_state& ch, bool closing) noexcept {
  ch.closing = closing;
}

std::optional<tasklet> channel_queue(const core::channel_state& ch) {
  if (ch.head == nullptr) return std::nullopt;
  return tasklet(core::add_ref(ch.head));
}

}  // namespace slp::detail

namespace slp {

std::uint64_t channel_ref::id() const noexcept { return state_->id; }
int channel_ref::balance() const noexcept { return state_->balance; }
int channel_ref::preference() const noexcept { return state_->preference; }
bool channel_ref::schedule_all() const noexcept { return state_->schedule_all; }
bool channel_ref::closing() const noexcept { return state_->closing; }
bool channel_ref::closed() const noexcept {
  return state_->closing && state_->balance == 0;
}

}  // namespace slp
