// SPDX-License-Identifier: MIT
// slp — the x86-64 half of arch/copy.h: the AVX2 copy loop for stack
// slices and the check, made once, that this CPU and OS support it.
#include <immintrin.h>

#include <cstring>

#include "arch/copy.h"

extern "C" {

// Until this initialiser has run (a static constructor elsewhere that
// switches first), it reads 0 and slices go through memcpy.
const int slp_has_avx2 = [] {
  __builtin_cpu_init();  // it may not have run yet: we are a constructor
  return __builtin_cpu_supports("avx2") != 0 ? 1 : 0;
}();

__attribute__((target("avx2"), nothrow)) void slp_copy_by_vectors(
    void* to, const void* from, std::size_t size) {
  auto* out = static_cast<unsigned char*>(to);
  const auto* in = static_cast<const unsigned char*>(from);
  std::size_t i = 0;
  for (; i + 64 <= size; i += 64) {
    const __m256i a =
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(in + i));
    const __m256i b =
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(in + i + 32));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i), a);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i + 32), b);
  }
  std::memcpy(out + i, in + i, size - i);
}

}  // extern "C"
