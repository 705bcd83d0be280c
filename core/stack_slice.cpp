#include "core/stack_slice.hpp"

#include <cstdlib>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "core/sanitizer.hpp"

namespace slp::core {

namespace {
void* system_allocate(std::size_t bytes) noexcept { return std::malloc(bytes); }

#if defined(__x86_64__)
// Slices of these sizes are copied by copy_by_vectors: glibc's memcpy
// switches to `rep movsb` above ~2-3 KiB, which on the AMD Zen machine of
// docs/PERFORMANCE.md took 25-40 % longer than a loop of 32-byte moves up
// to 16 KiB (and was faster beyond it).
constexpr std::size_t vector_copy_min = 3 * 1024;
constexpr std::size_t vector_copy_max = 16 * 1024;

// copy_by_vectors: copies `size` bytes 64 at a time, then the rest (less
// than 64; slices, [sp, top) with both ends 16-byte aligned, leave a
// multiple of 16).
__attribute__((target("avx2"))) void copy_by_vectors(
    std::byte* to, const std::byte* from, std::size_t size) noexcept {
  std::size_t i = 0;
  for (; i + 64 <= size; i += 64) {
    const __m256i a =
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(from + i));
    const __m256i b =
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(from + i + 32));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(to + i), a);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(to + i + 32), b);
  }
  std::memcpy(to + i, from + i, size - i);
}

// Until this initialiser has run (a static constructor elsewhere that
// switches first), it reads false and slices go through memcpy.
const bool has_avx2 = [] {
  __builtin_cpu_init();  // it may not have run yet: we are a constructor
  return __builtin_cpu_supports("avx2") != 0;
}();
#endif

}  // namespace

void stack_slice::copy(std::byte* to, const std::byte* from,
                       std::size_t size) noexcept {
#if defined(__x86_64__)
  if (size >= vector_copy_min && size <= vector_copy_max && has_avx2) {
    copy_by_vectors(to, from, size);
    return;
  }
#endif
  std::memcpy(to, from, size);
}

bool stack_slice::wide_moves() noexcept {
#if defined(__x86_64__)
  return has_avx2;
#else
  return false;
#endif
}

void* (*stack_slice::allocate)(std::size_t) noexcept = &system_allocate;

stack_slice::~stack_slice() { release(); }

bool stack_slice::reserve(std::size_t size) noexcept {
  if (size > capacity_ || capacity_ - size > slack_limit(size)) {
    const std::size_t fitted = (size + granule - 1) / granule * granule;
    auto* fresh = static_cast<std::byte*>(allocate(fitted));
    if (fresh == nullptr) return false;
    std::free(data_);
    data_ = fresh;
    capacity_ = fitted;
  }
  return true;
}

bool stack_slice::save(const std::byte* from, std::size_t size) noexcept {
  if (!reserve(size)) return false;
  // The slice holds frames that are not running; under ASan their redzones
  // are still poisoned.
  sanitizer::unpoison(from, size);
  copy(data_, from, size);
  size_ = size;
  return true;
}

void stack_slice::restore(std::byte* to) noexcept {
  if (size_ == 0) return;
  sanitizer::unpoison(to, size_);
  copy(to, data_, size_);
  size_ = 0;
}

void stack_slice::release() noexcept {
  std::free(data_);
  data_ = nullptr;
  size_ = 0;
  capacity_ = 0;
}

}  // namespace slp::core
