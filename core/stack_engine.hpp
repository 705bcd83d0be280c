// SPDX-License-Identifier: MIT
// slp — the stack engine: one thread's execution stacks and the hard switch
// between contexts, with stack slicing (API.md §7).
//
// transfer(from, to, v) suspends `from` (the running context) and resumes
// `to`, handing it `v`; it returns the value handed to `from` when it is
// resumed. Before `to` can run on its home stack, the tasklet resident
// there (which may be `from`) has its used slice saved to the heap; `to`'s
// own slice is copied back only if it is not resident already. Saving
// happens before the stack pointer moves and restoring after, always above
// the live stack pointer, so a signal at any instant sees a valid stack.
//
// Example:
//   stack_engine engine(cfg, [](context& self, void* v) { ...
//                                  engine.finish(self, main_ctx, nullptr); });
//   context main_ctx;  main_ctx.state = context::status::running;
//   context t;
//   engine.transfer(main_ctx, t, nullptr);  // runs the body in t
#ifndef SLP_CORE_STACK_ENGINE_HPP
#define SLP_CORE_STACK_ENGINE_HPP

#include <cstddef>
#include <memory>
#include <vector>

#include "arch/switch.h"
#include "arch/switch_entries.h"  // slp_switch_count, counted at each switch
#include "core/context.hpp"
#include "core/execution_stack.hpp"
#include "core/sanitizer.hpp"
#include "slp/config.hpp"

namespace slp::core {

class stack_engine {
 public:
  // stack_engine: validates `cfg` (slp::error on a stack size below a page
  // or a count of 0). Stacks are mapped when first needed. `body` is what
  // every context switched to for the first time runs.
  stack_engine(const config& cfg, context::body_fn body);
  ~stack_engine();
  stack_engine(const stack_engine&) = delete;
  stack_engine& operator=(const stack_engine&) = delete;

  // transfer: switches from the running context `from` to `to` (fresh or
  // suspended). Throws std::bad_alloc, with nothing changed and no switch,
  // when the slice to be saved cannot be allocated.
  void* transfer(context& from, context& to, void* value = nullptr);
  // try_transfer: the same, but a switch that cannot happen returns false
  // (nothing changed) instead of throwing, for callers that must repair
  // state outside any catch block; the value handed back goes to *result
  // unless result is null. Inline: the common switch, to a context whose
  // frames are in place, is a few stores and slp_swap.
  [[nodiscard]] bool try_transfer(context& from, context& to,
                                  void* value = nullptr,
                                  void** result = nullptr) noexcept {
    // The test of frames_in_place(to), written out so that the resident
    // switch stays one straight path: BM_SlpSchedulePingPong (tasklet_bench).
    if (to.state != context::status::suspended ||
        (to.home != nullptr && to.home->resident != &to)) {
      if (!transfer_by_slices(from, to, value)) return false;
      if (result != nullptr) *result = value_;
      return true;
    }
    // `to`'s frames are in place, and `from` stays resident on its own
    // stack (which `to` cannot share): nothing to save or restore.
    from.state = context::status::suspended;
    to.state = context::status::running;
    value_ = value;
    ++slp_switch_count;
    void* fake_stack = nullptr;
#if defined(SLP_ASAN) || defined(SLP_TSAN)
    start_switch_annotations(from, to, &fake_stack);
#endif
    slp_swap(&from.sp, to.sp, nullptr);
    sanitizer::finish_switch(fake_stack);
    if (result != nullptr) *result = value_;
    return true;
  }

  // frames_in_place: `to` is suspended with its frames where they run, so
  // a switch to it saves and places no slice: it cannot fail. The negation
  // of try_transfer's first test.
  [[nodiscard]] static bool frames_in_place(const context& to) noexcept {
    return to.state == context::status::suspended &&
           (to.home == nullptr || to.home->resident == &to);
  }

  // finish: `from` has finished for good; switches to `to` and never
  // returns. The caller may free `from` once `to` runs.
  [[noreturn]] void finish(context& from, context& to, void* value) noexcept;

  // forget: the context will never run again (finished, or discarded while
  // suspended): it stops being resident and its slice is freed.
  void forget(context& c) noexcept;

  // started: whether any context has run on an execution stack.
  [[nodiscard]] bool started() const noexcept { return !stacks_.empty(); }
  [[nodiscard]] const config& configuration() const noexcept { return cfg_; }
  [[nodiscard]] std::size_t stacks_mapped() const noexcept {
    return stacks_.size();
  }

  // validate: throws slp::error if `cfg` is unusable.
  static void validate(const config& cfg);

 private:
  static void* on_switch(void* self, int op, void* sp) noexcept;
  // transfer_by_slices: try_transfer when `to` is fresh or evicted (after
  // transfer_to_fresh has given a fresh one its home). The value handed
  // back is in value_ when it returns true.
  // - switch_across: `to`'s home is not the stack we run on: save the
  //   tasklet resident there and place `to`'s frames from here, then
  //   slp_swap, as to a resident target.
  // - switch_in_place: `to`'s home is our own stack, and both slices are
  //   at most in_place_max bytes: slp_swap_sliced copies ours out and
  //   `to`'s in, in assembly; it refits our buffer when slp_swap_sliced
  //   refuses, and hands frames over in_place_max to switch_by_slices.
  //   Under ASan it unpoisons the top in_place_max bytes first (the copy
  //   is invisible to ASan); under TSan a refusal announces `from` again.
  // - switch_by_slices: the same case otherwise: our frames can be saved
  //   only once we have stopped: slp_switch and its SAVE and RESTORE
  //   callbacks, which can allocate.
  // Each keeps only `this` across the switch, so that the frames (in the
  // slice of every tasklet that switched this way) are as small as they
  // can be.
  bool transfer_by_slices(context& from, context& to, void* value) noexcept;
  [[gnu::noinline]] bool transfer_to_fresh(context& from, context& to,
                                           void* value) noexcept;
  [[gnu::noinline]] bool switch_across(context& from, context& to,
                                       void* value) noexcept;
  [[gnu::noinline]] bool switch_in_place(context& from, context& to,
                                         void* value) noexcept;
  // swap_in_place: switch_in_place's switch, once from_, to_, value_ and
  // slices_ say what to do.
  [[gnu::noinline]] bool swap_in_place() noexcept;
  // request: &slices_, the request slp_swap_sliced returns when it refuses,
  // found again from `this` at each use (the empty asm hides that the
  // address is constant), so that swap_in_place keeps only `this` across
  // the switch and its frame in every in-place slice stays small.
  [[nodiscard]] slp_slices* request() noexcept {
    stack_engine* self = this;
    asm volatile("" : "+r"(self));
    return &self->slices_;
  }
  // offer_buffer: slices_ offers `ours`'s buffer to slp_swap_sliced.
  void offer_buffer(stack_slice& ours) noexcept;
  // refit_buffer: after slp_swap_sliced refused our frames, refits our
  // buffer to the size they need, unless they are too large for
  // switch_in_place or there is no memory.
  enum class refit : std::uint8_t { done, too_large, no_memory };
  [[gnu::noinline]] refit refit_buffer() noexcept;
  // undo_in_place: switch_in_place gives up and undoes what it did; then,
  // if `general` (our frames are too large for it), returns what
  // switch_by_slices does, else false (no memory for our frames).
  [[gnu::noinline]] bool undo_in_place(bool general) noexcept;
  [[gnu::noinline]] bool switch_by_slices(context& from, context& to,
                                          void* value) noexcept;
  // The largest slice switch_in_place copies; above it, slicing through
  // the callbacks and memcpy is as fast: BM_SlpSlicingSwitch (switch_bench).
  static constexpr std::size_t in_place_max = 2048;
  // evict: saves the slice of the tasklet resident on `home`, if any, which
  // then is resident no more; false (nothing changed) without memory.
  bool evict(execution_stack& home) noexcept;
  // place_frames: puts `to`'s frames on its home, which we do not run on
  // (its first frame if fresh, else its slice); `to` becomes resident.
  void place_frames(context& to) noexcept;
  // start_switch_annotations: what ASan and TSan must hear before a switch
  // from `from` to `to` (nothing in other builds).
  void start_switch_annotations(context& from, context& to,
                                void** fake_stack) noexcept;
  static void announce_to_tsan(context& from, context& to) noexcept;
  static void start(void* self, void* value) noexcept;
  void* save_step(std::byte* sp) noexcept;
  void* restore_step() noexcept;
  execution_stack* choose_home();
  void stack_bounds(const context& c, void** bottom,
                    std::size_t* size) const noexcept;

  config cfg_;
  context::body_fn body_;
  std::vector<std::unique_ptr<execution_stack>> stacks_;
  std::size_t next_home_ = 0;
  // The switch in progress; never on a stack, because the RESTORE step runs
  // after `from`'s stack may have been overwritten.
  context* from_ = nullptr;
  context* to_ = nullptr;
  void* value_ = nullptr;
  slp_slices slices_{};  // switch_in_place's request to slp_swap_sliced
  std::size_t restored_size_ = 0;  // what to_'s slice held before it
  bool save_failed_ = false;
  // The thread's own stack, for the ASan fiber annotations.
  void* thread_stack_bottom_ = nullptr;
  std::size_t thread_stack_size_ = 0;
  stack_engine* next_in_thread_ = nullptr;  // the overflow handler's list
  friend struct fault_handler;
};

}  // namespace slp::core

#endif  // SLP_CORE_STACK_ENGINE_HPP
