// SPDX-License-Identifier: MIT
// slp — how an idle thread sleeps and is woken. A thread with nothing to
// run sleeps while its sleep word is 1; whoever gives it work sets the word
// to 0 and wakes it. The plain way is a futex on the word; a thread that
// also waits for time or descriptors plugs in a sleeper that waits in its
// reactor instead (and is woken through it).
#ifndef SLP_CORE_SLEEPER_HPP
#define SLP_CORE_SLEEPER_HPP

#include <atomic>
#include <cstdint>

namespace slp::core {

class sleeper {
 public:
  // sleep: returns once `word` is not 1, or earlier (a signal, a spurious
  // wake-up): the caller checks its condition again.
  virtual void sleep(std::atomic<std::uint32_t>& word) noexcept = 0;
  // wake: the thread sleeping on `word` (just set to 0) looks again.
  virtual void wake(std::atomic<std::uint32_t>& word) noexcept = 0;

 protected:
  ~sleeper() = default;
};

// futex_sleeper: sleeps on the word itself (FUTEX_WAIT_PRIVATE).
sleeper& futex_sleeper() noexcept;

}  // namespace slp::core

#endif  // SLP_CORE_SLEEPER_HPP
