#include "core/scheduler.hpp"

#include "slp/errors.hpp"

namespace slp {

namespace core {

scheduler& scheduler::of_this_thread() {
  thread_local scheduler instance;
  return instance;
}

void scheduler::configure(const config& cfg) {
  if (engine_ != nullptr && engine_->started()) {
    throw error(
        "slp::configure: a tasklet of this thread has already started; "
        "configure the thread before its first tasklet runs");
  }
  stack_engine::validate(cfg);
  cfg_ = cfg;
  engine_.reset();
}

stack_engine& scheduler::engine() {
  if (engine_ == nullptr) engine_ = std::make_unique<stack_engine>(cfg_);
  return *engine_;
}

}  // namespace core

void configure(const config& cfg) {
  core::scheduler::of_this_thread().configure(cfg);
}

config current_config() {
  return core::scheduler::of_this_thread().configuration();
}

}  // namespace slp
