// SPDX-License-Identifier: MIT
// slp — per-thread configuration of the execution stacks tasklets run on.
//
// Each thread's scheduler owns `stack_count` execution stacks of
// `stack_size` bytes (reserved with mmap, committed by the OS as touched,
// each with a guard region below it). A tasklet runs on one of them, its
// home, for its whole life; when another tasklet needs that stack, the used
// slice is copied to the heap and back (docs/DESIGN.md).
//
// Example:
//   slp::config cfg;
//   cfg.stack_size = 256 * 1024;
//   cfg.stack_count = 2;
//   slp::configure(cfg);  // before this thread's first tasklet runs
#ifndef SLP_CONFIG_HPP
#define SLP_CONFIG_HPP

#include <cstddef>

namespace slp {

struct config {
  // stack_size: usable bytes per execution stack, rounded up to whole
  // pages; the deepest a tasklet may go.
  std::size_t stack_size = 1024 * 1024;
  // stack_count: execution stacks per thread; up to this many tasklets stay
  // resident and switch without copying.
  std::size_t stack_count = 8;
};

// configure: sets the calling thread's configuration. Throws slp::error,
// changing nothing, when a tasklet of this thread has already started, when
// stack_size is below one page or when stack_count is 0.
void configure(const config& cfg);

// current_config: the calling thread's configuration.
[[nodiscard]] config current_config();

}  // namespace slp

#endif  // SLP_CONFIG_HPP
