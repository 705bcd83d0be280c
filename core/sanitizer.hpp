// SPDX-License-Identifier: MIT
// slp — the sanitizer and valgrind annotations every switch needs, as no-ops
// in ordinary builds.
//
// AddressSanitizer must be told when the stack changes
// (__sanitizer_{start,finish}_switch_fiber), and a slice it copies may hold
// redzones of frames that are not running, so copies unpoison first.
// Valgrind must know each execution stack, or it mistakes a switch for a
// huge stack-pointer move.
#ifndef SLP_CORE_SANITIZER_HPP
#define SLP_CORE_SANITIZER_HPP

#include <cstddef>

#if defined(__SANITIZE_ADDRESS__)
#define SLP_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SLP_ASAN 1
#endif
#endif

#if defined(__SANITIZE_THREAD__)
#define SLP_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SLP_TSAN 1
#endif
#endif

#if defined(SLP_TSAN)
#include <sanitizer/tsan_interface.h>
#endif

#if defined(SLP_ASAN)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

// Valgrind annotations are compiled in with -DSLP_VALGRIND (the CMake option
// of the same name); outside valgrind they cost a few instructions.
#if defined(SLP_VALGRIND)
#include <valgrind/memcheck.h>
#include <valgrind/valgrind.h>
#endif

namespace slp::core::sanitizer {

// start_switch: about to leave the current stack for [bottom, bottom+size).
// fake_stack_save == nullptr means the current stack is never resumed.
inline void start_switch([[maybe_unused]] void** fake_stack_save,
                         [[maybe_unused]] const void* bottom,
                         [[maybe_unused]] std::size_t size) noexcept {
#if defined(SLP_ASAN)
  __sanitizer_start_switch_fiber(fake_stack_save, bottom, size);
#endif
}

// finish_switch: now running on the stack announced by start_switch.
inline void finish_switch([[maybe_unused]] void* fake_stack_save) noexcept {
#if defined(SLP_ASAN)
  __sanitizer_finish_switch_fiber(fake_stack_save, nullptr, nullptr);
#endif
}

// unpoison: [p, p+n) holds stack bytes of some frame that is not running.
inline void unpoison([[maybe_unused]] const void* p,
                     [[maybe_unused]] std::size_t n) noexcept {
#if defined(SLP_ASAN)
  __asan_unpoison_memory_region(p, n);
#endif
}

// ThreadSanitizer sees each context as a fiber: tsan_fiber_of_thread() is
// the thread's own flow, tsan_new_fiber() one for a tasklet, and
// tsan_switch_to() is called right before every switch.
inline void* tsan_fiber_of_thread() noexcept {
#if defined(SLP_TSAN)
  return __tsan_get_current_fiber();
#else
  return nullptr;
#endif
}

inline void* tsan_new_fiber() noexcept {
#if defined(SLP_TSAN)
  return __tsan_create_fiber(0);
#else
  return nullptr;
#endif
}

inline void tsan_destroy([[maybe_unused]] void* fiber) noexcept {
#if defined(SLP_TSAN)
  if (fiber != nullptr) __tsan_destroy_fiber(fiber);
#endif
}

inline void tsan_switch_to([[maybe_unused]] void* fiber) noexcept {
#if defined(SLP_TSAN)
  __tsan_switch_to_fiber(fiber, 0);
#endif
}

// stack_reusable: tell valgrind that [lo, hi), below the stack pointer of
// the context being restored on that stack, is addressable again: its stack
// tracking marked it dead when another tasklet's frames left it.
inline void stack_reusable([[maybe_unused]] void* lo,
                           [[maybe_unused]] std::size_t n) noexcept {
#if defined(SLP_VALGRIND)
  VALGRIND_MAKE_MEM_UNDEFINED(lo, n);
#endif
}

// register_stack / deregister_stack: tell valgrind about an execution stack.
inline unsigned register_stack([[maybe_unused]] void* lo,
                               [[maybe_unused]] void* hi) noexcept {
#if defined(SLP_VALGRIND)
  return VALGRIND_STACK_REGISTER(lo, hi);
#else
  return 0;
#endif
}

inline void deregister_stack([[maybe_unused]] unsigned id) noexcept {
#if defined(SLP_VALGRIND)
  VALGRIND_STACK_DEREGISTER(id);
#endif
}

}  // namespace slp::core::sanitizer

#endif  // SLP_CORE_SANITIZER_HPP
