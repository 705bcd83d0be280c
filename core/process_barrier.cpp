// SPDX-License-Identifier: MIT
// slp — membarrier(2) for the asymmetric handshakes
// (core/process_barrier.hpp).
#include "core/process_barrier.hpp"

#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace slp::core {

bool process_barrier_ready() noexcept {
#if defined(SLP_TSAN)
  return false;
#else
  static const bool ready =
      syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0,
              0) == 0;
  return ready;
#endif
}

void process_barrier() noexcept {
  syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
}

}  // namespace slp::core
