// slp — the per-thread scheduler state. (The runnables and the tasklet
// operations come with the tasklet layer; this holds what the stack engine
// needs: the thread's configuration and its engine, created on first use.)
#ifndef SLP_CORE_SCHEDULER_HPP
#define SLP_CORE_SCHEDULER_HPP

#include <memory>

#include "core/stack_engine.hpp"
#include "slp/config.hpp"

namespace slp::core {

class scheduler {
 public:
  // of_this_thread: the calling thread's scheduler, created on first use.
  static scheduler& of_this_thread();

  [[nodiscard]] const config& configuration() const noexcept { return cfg_; }
  void configure(const config& cfg);

  // engine: the thread's stack engine, created with the configuration in
  // force when the first tasklet starts.
  stack_engine& engine();

 private:
  config cfg_;
  std::unique_ptr<stack_engine> engine_;
};

}  // namespace slp::core

#endif  // SLP_CORE_SCHEDULER_HPP
