// SPDX-License-Identifier: MIT
// slp — a full memory barrier on every running thread of the process
// (membarrier(2), MEMBARRIER_CMD_PRIVATE_EXPEDITED): the slow half of the
// asymmetric handshakes whose fast half has no fence (core/channel_lock.hpp,
// core/owner_gate.hpp).
#ifndef SLP_CORE_PROCESS_BARRIER_HPP
#define SLP_CORE_PROCESS_BARRIER_HPP

namespace slp::core {

// process_barrier_ready: registers the process for the barrier, once;
// false where the kernel (or an emulator) does not have it, and under
// ThreadSanitizer, which cannot see the handshakes it serves.
bool process_barrier_ready() noexcept;
// process_barrier: the barrier (only once process_barrier_ready()).
void process_barrier() noexcept;

}  // namespace slp::core

#endif  // SLP_CORE_PROCESS_BARRIER_HPP
