#include "core/channel_state.hpp"

namespace slp::core {

channel_state::channel_state() noexcept {
  static std::atomic<std::uint64_t> next_id{1};
  id = next_id.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace slp::core
