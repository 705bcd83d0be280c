// SPDX-License-Identifier: MIT
// slp — one thread's runnables: the ring of tasklets that can run, its
// head (the tasklet that runs next), and the transaction that lets an
// operation put the ring and the wait sites back when its switch cannot
// happen (no memory for a stack slice).
//
// The ring's own verbs journal nothing: they serve the changes no switch
// follows, and the switches that cannot fail. An operation whose switch
// can fail makes its changes through a transaction, which has the same
// verbs and journals each; the switch ends it (commit(), or undo() when it
// failed).
//
// Example:
//   runnables::transaction tx = ring.begin();
//   tx.remove(self);            // journaled
//   ring.set_current(next);
//   if (!switched) ring.undo(); else ring.commit();
#ifndef SLP_CORE_RUNNABLES_HPP
#define SLP_CORE_RUNNABLES_HPP

#include <cstddef>

#include "core/tasklet_impl.hpp"
#include "core/wait_site.hpp"

namespace slp::core {

class runnables {
 public:
  class transaction;

  [[nodiscard]] tasklet_impl* current() const noexcept { return current_; }
  void set_current(tasklet_impl* t) noexcept { current_ = t; }
  [[nodiscard]] std::size_t count() const noexcept { return count_; }

  // append: `t` runs last.
  void append(tasklet_impl& t) noexcept {
    insert_after(t, current_ != nullptr ? current_->prev : nullptr);
  }
  // insert_next: `t` runs right after the head (first if the ring is empty).
  void insert_next(tasklet_impl& t) noexcept { insert_after(t, current_); }
  // remove: `t` leaves the ring; the head moves on if it was `t`.
  void remove(tasklet_impl& t) noexcept;
  // parked / woken: a wait site's change, which the ring need not know
  // outside a transaction (transaction has the journaling ones).
  void parked(tasklet_impl&, wait_site&) noexcept {}
  void woken(tasklet_impl&, wait_site&, wait_place) noexcept {}

  // begin: a transaction starts, and with it the journal.
  transaction begin() noexcept;
  // open: a transaction has begun and not ended.
  [[nodiscard]] bool open() const noexcept { return size_ != closed; }
  // commit: the switch happened (or none was needed): forget the journal.
  void commit() noexcept { size_ = closed; }
  // undo: the switch could not happen: every change since begin() is
  // taken back, the head too. Stops the process if the journal overflowed.
  void undo() noexcept;

 private:
  struct entry {
    enum kind_t { link, unlink, park, wake } kind;
    tasklet_impl* tasklet;
    tasklet_impl* after;  // unlink: the predecessor it had
    bool was_current;     // unlink
    wait_site* site;      // park, wake
    wait_place place;     // wake
  };
  // The longest operation journals a handful of changes.
  static constexpr std::size_t capacity = 6;
  static constexpr std::size_t overflowed = capacity + 1;
  static constexpr std::size_t closed = capacity + 2;

  void insert_after(tasklet_impl& t, tasklet_impl* after) noexcept;
  // record: a new entry of `kind` for `t`; the caller fills in the fields
  // that kind needs. Null once the journal is full (which makes undo()
  // fatal).
  entry* record(entry::kind_t kind, tasklet_impl& t) noexcept {
    if (size_ >= capacity) {
      size_ = overflowed;
      return nullptr;
    }
    entry& e = journal_[size_++];
    e.kind = kind;
    e.tasklet = &t;
    return &e;
  }

  tasklet_impl* current_ = nullptr;  // the head: runs next, or runs now
  std::size_t count_ = 0;
  std::size_t size_ = closed;
  tasklet_impl* begun_with_ = nullptr;  // the head when begin() was called
  entry journal_[capacity];
};

// transaction: the ring's verbs, each journaled, and the wait sites'
// changes noted, for undo().
class runnables::transaction {
 public:
  explicit transaction(runnables& ring) noexcept : ring_(ring) {}

  void append(tasklet_impl& t) noexcept {
    ring_.append(t);
    ring_.record(entry::link, t);
  }
  void insert_next(tasklet_impl& t) noexcept {
    ring_.insert_next(t);
    ring_.record(entry::link, t);
  }
  void remove(tasklet_impl& t) noexcept {
    if (entry* e = ring_.record(entry::unlink, t)) {
      e->after = t.next == &t ? nullptr : t.prev;
      e->was_current = ring_.current_ == &t;
    }
    ring_.remove(t);
  }
  // parked / woken: the site's code has queued `t` at `site`, or taken it
  // out from where it `was`.
  void parked(tasklet_impl& t, wait_site& site) noexcept {
    if (entry* e = ring_.record(entry::park, t)) e->site = &site;
  }
  void woken(tasklet_impl& t, wait_site& site, wait_place was) noexcept {
    if (entry* e = ring_.record(entry::wake, t)) {
      e->site = &site;
      e->place = was;
    }
  }

 private:
  runnables& ring_;
};

inline runnables::transaction runnables::begin() noexcept {
  size_ = 0;
  begun_with_ = current_;
  return transaction(*this);
}

inline void runnables::insert_after(tasklet_impl& t,
                                    tasklet_impl* after) noexcept {
  if (after == nullptr) {
    t.next = &t;
    t.prev = &t;
    current_ = &t;
  } else {
    t.prev = after;
    t.next = after->next;
    after->next->prev = &t;
    after->next = &t;
  }
  t.in_ring = true;
  ++count_;
}

inline void runnables::remove(tasklet_impl& t) noexcept {
  if (t.next == &t) {
    current_ = nullptr;
  } else {
    t.prev->next = t.next;
    t.next->prev = t.prev;
    if (current_ == &t) current_ = t.next;
  }
  t.next = nullptr;
  t.prev = nullptr;
  t.in_ring = false;
  --count_;
}

}  // namespace slp::core

#endif  // SLP_CORE_RUNNABLES_HPP
