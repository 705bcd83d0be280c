#include "core/stack_slice.hpp"

#include <cstdlib>
#include <cstring>

#include "core/sanitizer.hpp"

namespace slp::core {

namespace {
void* system_allocate(std::size_t bytes) noexcept { return std::malloc(bytes); }
}  // namespace

void* (*stack_slice::allocate)(std::size_t) noexcept = &system_allocate;

stack_slice::~stack_slice() { release(); }

bool stack_slice::save(const std::byte* from, std::size_t size) noexcept {
  if (size > capacity_ || capacity_ - size > slack_limit(size)) {
    const std::size_t fitted = (size + granule - 1) / granule * granule;
    auto* fresh = static_cast<std::byte*>(allocate(fitted));
    if (fresh == nullptr) return false;
    std::free(data_);
    data_ = fresh;
    capacity_ = fitted;
  }
  // The slice holds frames that are not running; under ASan their redzones
  // are still poisoned.
  sanitizer::unpoison(from, size);
  std::memcpy(data_, from, size);
  size_ = size;
  return true;
}

void stack_slice::restore(std::byte* to) noexcept {
  if (size_ == 0) return;
  sanitizer::unpoison(to, size_);
  std::memcpy(to, data_, size_);
  size_ = 0;
}

void stack_slice::release() noexcept {
  std::free(data_);
  data_ = nullptr;
  size_ = 0;
  capacity_ = 0;
}

}  // namespace slp::core
