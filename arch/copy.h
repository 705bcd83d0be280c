/* SPDX-License-Identifier: MIT */
/* slp — how stack slices are copied on this processor: memcpy, except for
 * the sizes where a loop of wide vector moves is faster (x86-64 with
 * AVX2); and whether slp_swap_sliced may use its wide moves. core/ calls
 * these and contains no instruction-set code of its own.
 *
 * Example:
 *   slp_copy_stack(slice_buffer, sp, top - sp);  // save a slice
 *   slices.wide = slp_wide_moves();
 */
#ifndef SLP_ARCH_COPY_H
#define SLP_ARCH_COPY_H

#include <stddef.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__x86_64__)
/* The sizes slp_copy_stack copies with slp_copy_by_vectors: there glibc's
   memcpy takes its `rep movsb` path, which is slower than the vector loop;
   beyond them memcpy is as fast or faster. BM_SliceCopyFloor against
   BM_MemcpySliceFloor (switch_bench). */
#define SLP_VECTOR_COPY_MIN (3 * 1024)
#define SLP_VECTOR_COPY_MAX (16 * 1024)

/* slp_has_avx2: non-zero when this CPU and OS support AVX2
   (arch/copy_x86_64.cpp). It reads 0 until the library's static
   initialisers have run: a static constructor elsewhere that switches
   before them copies with memcpy. */
extern const int slp_has_avx2 __attribute__((visibility("hidden")));

/* slp_copy_by_vectors: copies `size` bytes 64 at a time with AVX2, then the
   rest with memcpy. Only when slp_has_avx2. Never throws. */
void slp_copy_by_vectors(void *to, const void *from, size_t size)
    __attribute__((nothrow, visibility("hidden")));
#elif !defined(__aarch64__) && !(defined(__riscv) && __riscv_xlen == 64)
#error "copy.h: say how this architecture copies stack slices (arch/PORTING.md)"
#endif

/* slp_copy_stack: copies `size` bytes of stack (a slice [sp, top), so both
   ends are 16-byte aligned) from `from` to `to`, the fastest way known for
   this processor. */
static inline void slp_copy_stack(void *to, const void *from, size_t size) {
#if defined(__x86_64__)
  if (size >= SLP_VECTOR_COPY_MIN && size <= SLP_VECTOR_COPY_MAX &&
      slp_has_avx2) {
    slp_copy_by_vectors(to, from, size);
    return;
  }
#endif
  memcpy(to, from, size);
}

/* slp_wide_moves: the value for slp_slices.wide (arch/switch.h): non-zero
   when slp_swap_sliced may copy with 32-byte moves (x86-64 with AVX2); 0
   elsewhere. */
static inline int slp_wide_moves(void) {
#if defined(__x86_64__)
  return slp_has_avx2;
#else
  return 0;
#endif
}

#ifdef __cplusplus
}
#endif

#endif /* SLP_ARCH_COPY_H */
