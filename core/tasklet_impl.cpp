// SPDX-License-Identifier: MIT
// slp — the tasklet object itself (core/tasklet_impl.hpp): one allocation
// with room for its callable, its id, and its reference count, whose last
// release destroys it and whose last handle's release may kill it.
#include "core/tasklet_impl.hpp"

#include <cstdio>
#include <cstdlib>
#include <new>

#include "core/scheduler.hpp"
#include "slp/errors.hpp"

namespace slp::core {

std::atomic<std::size_t> tasklet_impl::live{0};

namespace {
constexpr std::size_t room_offset =
    (sizeof(tasklet_impl) + detail::room_alignment - 1) &
    ~(detail::room_alignment - 1);
}  // namespace

tasklet_impl* tasklet_impl::create(scheduler* owner_scheduler,
                                   std::size_t room) {
  void* memory =
      ::operator new(room == 0 ? sizeof(tasklet_impl) : room_offset + room);
  return ::new (memory) tasklet_impl(owner_scheduler);
}

void tasklet_impl::destroy(tasklet_impl* t) noexcept {
  t->~tasklet_impl();
  ::operator delete(static_cast<void*>(t));  // unsized: the room varies
}

void* tasklet_impl::room() noexcept {
  return reinterpret_cast<unsigned char*>(this) + room_offset;
}

tasklet_impl::tasklet_impl(scheduler* owner_scheduler) noexcept
    : owner(owner_scheduler) {
  live.fetch_add(1, std::memory_order_relaxed);
  static std::atomic<std::uint64_t> next_id{1};
  id = next_id.fetch_add(1, std::memory_order_relaxed);
  if (owner_scheduler != nullptr) owner_scheduler->tasklets().add(*this);
}

tasklet_impl::~tasklet_impl() {
  live.fetch_sub(1, std::memory_order_relaxed);
  mail.clear();
  scheduler::forget_tasklet(*this);
}

bool is_tasklet_exit(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const tasklet_exit&) {
    return true;
  } catch (...) {
    return false;
  }
}

void too_many_references() noexcept {
  std::fputs("slp: fatal: 2^32 references to one tasklet\n", stderr);
  std::abort();
}

void release(tasklet_impl* t) noexcept {
  if (t == nullptr) return;
  // Read before the decrement: afterwards another thread may free `t`,
  // unless the scheduler's own reference is the one left, which only this
  // thread (its owner) can drop, and only this thread clears set_up
  // (another thread's setup() sets it while holding a handle of its own).
  scheduler* s = t->owner.load(std::memory_order_relaxed);
  const bool alive_here =
      s != nullptr && s == scheduler::if_exists() && t->set_up && !t->is_main;
  const std::size_t before = t->refs.fetch_sub(1, std::memory_order_acq_rel);
  if (before == 1) {
    tasklet_impl::destroy(t);
    return;
  }
  // Only the scheduler's reference is left: if nothing can run the
  // tasklet again, the scheduler disposes of it (API.md §3.4).
  if (before == 2 && alive_here && !t->scheduled()) s->discard_unreachable(*t);
}

}  // namespace slp::core
