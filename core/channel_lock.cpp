#include "core/channel_lock.hpp"

#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <thread>

namespace slp::core {

namespace elision {

#if defined(SLP_TSAN)
std::atomic<int> mode{shared};
#else
std::atomic<int> mode{elided};
#endif
alignas(64) std::atomic<bool> inside{false};
__thread bool mine = false;

namespace {

// The channel thread is chosen once, by the first lock of any channel.
alignas(64) std::atomic<bool> claimed{false};

// membarrier_ready: registers the process for expedited private barriers,
// once; false where the kernel (or an emulator) does not have them.
bool membarrier_ready() noexcept {
  static const bool ready =
      syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0,
              0) == 0;
  return ready;
}

// end: the calling thread is not the channel thread: from now on every
// thread takes the spinlock, once the channel thread holds no channel
// without it.
void end() noexcept {
  int expected = elided;
  mode.compare_exchange_strong(expected, draining, std::memory_order_seq_cst);
  if (expected == shared) return;
  // Registered: the mode was elided, which only a registered process gets.
  syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
  while (inside.load(std::memory_order_acquire)) {
    std::this_thread::yield();
  }
  mode.store(shared, std::memory_order_release);
}

}  // namespace

}  // namespace elision

bool channel_lock::possible() noexcept {
#if defined(SLP_TSAN)
  return false;
#else
  return elision::membarrier_ready();
#endif
}

void channel_lock::reset_for_tests() noexcept {
  elision::mine = false;
  elision::inside.store(false, std::memory_order_relaxed);
  elision::claimed.store(false, std::memory_order_relaxed);
  elision::mode.store(possible() ? elision::elided : elision::shared,
                      std::memory_order_seq_cst);
}

void channel_lock::thread_ends() noexcept {
  if (!elision::mine) return;
  elision::mine = false;
  // Holds no channel now; what it wrote is seen by the next to claim.
  elision::claimed.store(false, std::memory_order_release);
}

void channel_lock::lock_slow() noexcept {
  using namespace elision;
  if (mode.load(std::memory_order_acquire) != shared && !mine) {
    bool expected = false;
    if (claimed.compare_exchange_strong(expected, true,
                                        std::memory_order_acq_rel) &&
        membarrier_ready()) {
      mine = true;  // the first: the channel thread
      lock();
      return;
    }
    if (!membarrier_ready()) {
      mode.store(shared, std::memory_order_release);
    } else {
      end();
    }
  }
  // Shared; or the channel thread while another thread drains, or inside
  // a section it holds without the lock: that section is its own, and
  // nobody else takes a spinlock until it is over.
  spin_.lock();
}

}  // namespace slp::core
