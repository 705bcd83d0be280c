// SPDX-License-Identifier: MIT
#include "core/stack_engine.hpp"

#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <new>
#include <string>
#include <utility>

#include "slp/errors.hpp"

namespace slp::core {

// What the engine assumes of the switch (arch/layout_check.cpp checks the
// assembly's side of it).
static_assert(SLP_FRAME_SIZE % SLP_STACK_ALIGN == 0,
              "the switch frame keeps the stack aligned");
static_assert(SLP_SWITCH_SAVE == 0 && SLP_SWITCH_RESTORE == 1,
              "core/ and arch/ agree on the switch steps");
static_assert(SLP_SWITCH_NO_RESTORE < SLP_STACK_ALIGN,
              "the NO_RESTORE flag fits below an aligned stack pointer");

namespace {

std::size_t page_size() noexcept {
  static const auto size = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  return size;
}

// The engines of this thread, newest first, for the overflow handler.
thread_local stack_engine* engines_of_thread = nullptr;

// The alternate signal stack the overflow handler runs on: the faulting
// stack has no room left.
struct alternate_signal_stack {
  static constexpr std::size_t size = 64 * 1024;  // AMX signal frames: 12 KiB
  void* memory = nullptr;

  void ensure() noexcept {
    stack_t current{};
    if (memory != nullptr || ::sigaltstack(nullptr, &current) != 0 ||
        (current.ss_flags & SS_DISABLE) == 0) {
      return;  // ours already, or the program installed its own
    }
    void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return;
    stack_t ss{};
    ss.ss_sp = p;
    ss.ss_size = size;
    if (::sigaltstack(&ss, nullptr) != 0) {
      ::munmap(p, size);
      return;
    }
    memory = p;
  }

  ~alternate_signal_stack() {
    if (memory == nullptr) return;
    stack_t ss{};
    ss.ss_flags = SS_DISABLE;
    ::sigaltstack(&ss, nullptr);
    ::munmap(memory, size);
  }
};
thread_local alternate_signal_stack alt_stack;

struct sigaction previous_segv;
struct sigaction previous_bus;

// Async-signal-safe output for the overflow message.
void write_text(const char* text) noexcept {
  std::size_t n = 0;
  while (text[n] != '\0') ++n;
  while (n > 0) {
    const ssize_t w = ::write(STDERR_FILENO, text, n);
    if (w <= 0) return;
    text += w;
    n -= static_cast<std::size_t>(w);
  }
}

void write_number(std::uint64_t v) noexcept {
  char digits[24];
  char* p = digits + sizeof digits;
  *--p = '\0';
  do {
    *--p = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  write_text(p);
}

}  // namespace

// fault_handler: SIGSEGV/SIGBUS on the alternate stack. A fault in the
// guard region of one of this thread's execution stacks is a tasklet's
// stack overflow: say which tasklet and stop. Anything else goes to the
// handler that was installed before.
struct fault_handler {
  static void install() {
    static std::once_flag once;
    std::call_once(once, [] {
      struct sigaction sa {};
      sa.sa_sigaction = &fault_handler::on_fault;
      sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
      sigemptyset(&sa.sa_mask);
      ::sigaction(SIGSEGV, &sa, &previous_segv);
      ::sigaction(SIGBUS, &sa, &previous_bus);
    });
  }

  static void on_fault(int sig, siginfo_t* info, void* uc) {
    for (const stack_engine* e = engines_of_thread; e != nullptr;
         e = e->next_in_thread_) {
      for (const auto& stack : e->stacks_) {
        if (!stack->in_guard(info->si_addr)) continue;
        const context* c = stack->resident;
        write_text("slp: fatal: stack overflow in tasklet #");
        write_number(c != nullptr ? c->id : 0);
        write_text(" \"");
        if (c != nullptr && c->name != nullptr) write_text(c->name->c_str());
        write_text("\" (execution stack of ");
        write_number(stack->size());
        write_text(" bytes; raise slp::config::stack_size)\n");
        std::abort();
      }
    }
    const struct sigaction& prev =
        sig == SIGSEGV ? previous_segv : previous_bus;
    if ((prev.sa_flags & SA_SIGINFO) != 0 && prev.sa_sigaction != nullptr) {
      prev.sa_sigaction(sig, info, uc);
    } else if ((prev.sa_flags & SA_SIGINFO) == 0 &&
               prev.sa_handler != SIG_DFL && prev.sa_handler != SIG_IGN) {
      prev.sa_handler(sig);
    } else {
      // Not ours and no handler: restore the default action; returning
      // re-executes the faulting instruction, which then kills the process.
      ::signal(sig, SIG_DFL);
    }
  }
};

void stack_engine::validate(const config& cfg) {
  if (cfg.stack_size < page_size()) {
    throw error("slp::configure: stack_size " + std::to_string(cfg.stack_size) +
                " is below one page (" + std::to_string(page_size()) +
                " bytes)");
  }
  if (cfg.stack_count == 0) {
    throw error("slp::configure: stack_count must be at least 1");
  }
}

stack_engine::stack_engine(const config& cfg, context::body_fn body)
    : cfg_(cfg), body_(body) {
  validate(cfg);
  slices_.wide = stack_slice::wide_moves() ? 1 : 0;
  const std::size_t page = page_size();
  cfg_.stack_size = (cfg.stack_size + page - 1) / page * page;
  stacks_.reserve(cfg_.stack_count);
#if defined(SLP_ASAN)
  pthread_attr_t attr;
  if (::pthread_getattr_np(::pthread_self(), &attr) == 0) {
    ::pthread_attr_getstack(&attr, &thread_stack_bottom_, &thread_stack_size_);
    ::pthread_attr_destroy(&attr);
  }
#endif
  next_in_thread_ = engines_of_thread;
  engines_of_thread = this;
}

stack_engine::~stack_engine() {
  for (stack_engine** p = &engines_of_thread; *p != nullptr;
       p = &(*p)->next_in_thread_) {
    if (*p == this) {
      *p = next_in_thread_;
      break;
    }
  }
}

execution_stack* stack_engine::choose_home() {
  for (const auto& stack : stacks_) {
    if (stack->resident == nullptr) return stack.get();
  }
  if (stacks_.size() < cfg_.stack_count) {
    if (stacks_.empty()) {
      fault_handler::install();
      alt_stack.ensure();
    }
    stacks_.push_back(std::make_unique<execution_stack>(cfg_.stack_size));
    return stacks_.back().get();
  }
  // Every stack is occupied: take them in turn, so that a round-robin of
  // many tasklets spreads evenly.
  execution_stack* home = stacks_[next_home_].get();
  next_home_ = (next_home_ + 1) % stacks_.size();
  return home;
}

void stack_engine::stack_bounds(const context& c, void** bottom,
                                std::size_t* size) const noexcept {
  if (c.home != nullptr) {
    *bottom = c.home->limit();
    *size = c.home->size();
  } else {
    *bottom = thread_stack_bottom_;
    *size = thread_stack_size_;
  }
}

void* stack_engine::transfer(context& from, context& to, void* value) {
  void* result = nullptr;
  if (!try_transfer(from, to, value, &result)) throw std::bad_alloc();
  return result;
}

bool stack_engine::transfer_by_slices(context& from, context& to,
                                      void* value) noexcept {
  if (to.state == context::status::fresh && to.home == nullptr) {
    return transfer_to_fresh(from, to, value);
  }
  if (to.home != from.home) return switch_across(from, to, value);
  if (to.home != nullptr && to.state == context::status::suspended &&
      to.slice.size() <= in_place_max) {
    return switch_in_place(from, to, value);
  }
  return switch_by_slices(from, to, value);
}

bool stack_engine::transfer_to_fresh(context& from, context& to,
                                     void* value) noexcept {
  try {
    to.home = choose_home();
  } catch (...) {  // no memory for an execution stack
    return false;
  }
  return transfer_by_slices(from, to, value);
}

bool stack_engine::switch_across(context& from, context& to,
                                 void* value) noexcept {
  execution_stack* home = to.home;
  if (home != nullptr && home->resident != &to) {
    if (!evict(*home)) return false;
    place_frames(to);
  }
  const bool finished = from.state == context::status::finished;
  if (!finished) from.state = context::status::suspended;
  to.state = context::status::running;
  from_ = &from;
  to_ = &to;
  value_ = value;
  ++slp_switch_count;
  void* fake_stack = nullptr;
  start_switch_annotations(from, to, finished ? nullptr : &fake_stack);
  slp_swap(&from.sp, to.sp, value);
  sanitizer::finish_switch(fake_stack);
  return true;
}

bool stack_engine::evict(execution_stack& home) noexcept {
  if (home.resident == nullptr) return true;
  context& resident = *home.resident;
  auto* resident_sp = static_cast<std::byte*>(resident.sp);
  if (!resident.slice.save(
          resident_sp, static_cast<std::size_t>(home.top() - resident_sp))) {
    return false;
  }
  home.resident = nullptr;
  return true;
}

void stack_engine::place_frames(context& to) noexcept {
  execution_stack& home = *to.home;
  const bool fresh = to.state == context::status::fresh;
  // The frames go where valgrind may have seen others' frames die.
  auto* sp =
      fresh ? home.top() - SLP_FRAME_SIZE : static_cast<std::byte*>(to.sp);
  sanitizer::stack_reusable(sp, static_cast<std::size_t>(home.top() - sp));
  if (fresh) {
    // Frames of a tasklet that finished here never returned: under ASan
    // their redzones are still poisoned.
    sanitizer::unpoison(home.limit(), home.size() - SLP_FRAME_SIZE);
    to.sp = slp_init_frame(home.top(), &stack_engine::start, this);
  } else {
    to.slice.restore(sp);
  }
  home.resident = &to;
}

bool stack_engine::switch_in_place(context& from, context& to,
                                   void* value) noexcept {
  execution_stack& home = *to.home;
  slices_.top = home.top();
  offer_buffer(from.slice);
  slices_.restore_buffer = to.slice.data_;
  restored_size_ = std::exchange(to.slice.size_, 0);
  from.state = context::status::suspended;
  to.state = context::status::running;
  home.resident = &to;
  from_ = &from;
  to_ = &to;
  value_ = value;
  ++slp_switch_count;
  return swap_in_place();
}

bool stack_engine::swap_in_place() noexcept {
  // Only `this` is kept across the switch (our frames are in the slice).
  for (;;) {
    void* fake_stack = nullptr;
    start_switch_annotations(*from_, *to_, &fake_stack);
    // ASan: the copy is assembly, which ASan does not see, so the redzones
    // of our frames would stay poisoned under `to`'s. Ours lie within
    // in_place_max of the top whenever the switch happens (it refuses
    // otherwise, and a refusal only loses their checks).
    sanitizer::unpoison(to_->home->top() - in_place_max, in_place_max);
    const bool switched =
        slp_swap_sliced(&from_->sp, to_->sp, value_, request()) != request();
    sanitizer::finish_switch(fake_stack);  // resumed, or still here
    if (switched) return true;
#if defined(SLP_TSAN)
    sanitizer::tsan_switch_to(from_->tsan_fiber);  // refused: still `from`
#endif
    const refit result = refit_buffer();
    if (result != refit::done) return undo_in_place(result == refit::too_large);
  }
}

stack_engine::refit stack_engine::refit_buffer() noexcept {
  // slp_swap_sliced refused our frames: our buffer does not suit the size
  // they need, which it left in our slice's size.
  stack_slice& ours = from_->slice;
  const std::size_t needed = std::exchange(ours.size_, 0);
  if (needed > in_place_max) return refit::too_large;
  if (!ours.reserve(needed)) return refit::no_memory;
  offer_buffer(ours);
  return refit::done;
}

void stack_engine::offer_buffer(stack_slice& ours) noexcept {
  slices_.save_buffer = ours.data_;
  slices_.save_min = ours.smallest_kept();
  slices_.save_max = std::min(ours.capacity_, in_place_max);
  slices_.saved_size = &ours.size_;
}

bool stack_engine::undo_in_place(bool general) noexcept {
  context& from = *from_;
  context& to = *to_;
  --slp_switch_count;
  to.slice.size_ = restored_size_;
  to.home->resident = &from;
  to.state = context::status::suspended;
  from.state = context::status::running;
  return general && switch_by_slices(from, to, value_);
}

bool stack_engine::switch_by_slices(context& from, context& to,
                                    void* value) noexcept {
  from_ = &from;
  to_ = &to;
  value_ = value;
  void* fake_stack = nullptr;
  start_switch_annotations(from, to, &fake_stack);
  slp_switch(&stack_engine::on_switch, this);
  sanitizer::finish_switch(fake_stack);
  if (save_failed_) {  // the SAVE step could not allocate: no switch
    save_failed_ = false;
#if defined(SLP_TSAN)
    sanitizer::tsan_switch_to(from_->tsan_fiber);  // still `from`, after all
#endif
    return false;
  }
  return true;
}

void stack_engine::start_switch_annotations(
    context& from, context& to, [[maybe_unused]] void** fake_stack) noexcept {
#if defined(SLP_ASAN)
  void* bottom = nullptr;
  std::size_t size = 0;
  stack_bounds(to, &bottom, &size);
  sanitizer::start_switch(fake_stack, bottom, size);
#endif
  announce_to_tsan(from, to);
}

void stack_engine::finish(context& from, context& to, void* value) noexcept {
  from.state = context::status::finished;
  if (to.state == context::status::fresh && to.home == nullptr) {
    try {
      to.home = choose_home();
    } catch (...) {
      write_text("slp: fatal: out of memory for an execution stack\n");
      std::abort();
    }
  }
  if (from.home != nullptr && from.home->resident == &from) {
    from.home->resident = nullptr;
  }
  if (to.home != from.home) {
    switch_across(from, to, value);
  } else {
    from_ = &from;
    to_ = &to;
    value_ = value;
    start_switch_annotations(from, to, nullptr);  // null: `from` is done
    slp_switch(&stack_engine::on_switch, this);
  }
  // Only a failed SAVE comes back here.
  write_text("slp: fatal: out of memory saving a stack slice\n");
  std::abort();
}

void stack_engine::forget(context& c) noexcept {
  if (c.home != nullptr && c.home->resident == &c) c.home->resident = nullptr;
  c.slice.release();
#if defined(SLP_TSAN)
  if (c.home != nullptr) {  // a tasklet's own fiber, not a thread's
    sanitizer::tsan_destroy(c.tsan_fiber);
    c.tsan_fiber = nullptr;
  }
#endif
}

void stack_engine::announce_to_tsan([[maybe_unused]] context& from,
                                    [[maybe_unused]] context& to) noexcept {
#if defined(SLP_TSAN)
  if (from.tsan_fiber == nullptr)
    from.tsan_fiber = sanitizer::tsan_fiber_of_thread();
  if (to.tsan_fiber == nullptr) to.tsan_fiber = sanitizer::tsan_new_fiber();
  sanitizer::tsan_switch_to(to.tsan_fiber);
#endif
}

void* stack_engine::on_switch(void* self, int op, void* sp) noexcept {
  auto* engine = static_cast<stack_engine*>(self);
  return op == SLP_SWITCH_SAVE ? engine->save_step(static_cast<std::byte*>(sp))
                               : engine->restore_step();
}

// SAVE step, on the stack of `from`, which is `to`'s home too (other
// targets go through switch_across): evict the tasklet resident there
// (possibly `from` itself) and name the stack pointer to install.
void* stack_engine::save_step(std::byte* sp) noexcept {
  context& from = *from_;
  context& to = *to_;
  execution_stack* home = to.home;
  if (from.state == context::status::finished) {
    if (from.home != nullptr && from.home->resident == &from) {
      from.home->resident = nullptr;
    }
  } else {
    from.sp = sp;
  }
  if (home != nullptr && home->resident != &to && !evict(*home)) {
    save_failed_ = true;
    return sp;  // stay: RESTORE runs on our own stack and reports it
  }
  if (from.state == context::status::running) {
    from.state = context::status::suspended;
  }
  ++slp_switch_count;  // the switch happens now (the entry thunks ask)
  if (to.state == context::status::fresh) {
    return home->top() - SLP_FRAME_SIZE;
  }
  if (home == nullptr || home->resident == &to) {
    to.state = context::status::running;  // nothing to restore
    return reinterpret_cast<void*>(reinterpret_cast<std::uintptr_t>(to.sp) |
                                   SLP_SWITCH_NO_RESTORE);
  }
  return to.sp;
}

// RESTORE step, on `to`'s stack just below its saved sp: copy its slice
// back (or build its first frame) above us, if it is not resident.
void* stack_engine::restore_step() noexcept {
  if (save_failed_) return nullptr;
  context& to = *to_;
  if (to.home != nullptr && to.home->resident != &to) place_frames(to);
  to.state = context::status::running;
  return value_;
}

void stack_engine::start(void* self, void* value) noexcept {
  auto* engine = static_cast<stack_engine*>(self);
  sanitizer::finish_switch(nullptr);
  context& c = *engine->to_;
  engine->body_(c, value);
}

}  // namespace slp::core
