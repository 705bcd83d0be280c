/* SPDX-License-Identifier: MIT */
/* slp — the spin-wait hint, for code that spins on a word another thread
 * will change. The instruction is the only part that depends on the
 * processor.
 *
 * Example:
 *   while (flag.load(std::memory_order_acquire) == 0) slp_cpu_relax();
 */
#ifndef SLP_ARCH_CPU_H
#define SLP_ARCH_CPU_H

/* slp_cpu_relax: tells the processor that this is a spin-wait loop (it may
   yield to a sibling hyper-thread and avoids a memory-order mis-speculation
   when the loop exits). */
static inline void slp_cpu_relax(void) {
#if defined(__x86_64__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#elif defined(__riscv) && __riscv_xlen == 64
  /* Zihintpause `pause`, spelled as the fence hint it is (FENCE with
     pred=W, succ=0) for assemblers without the extension; a no-op on
     cores without it. */
  __asm__ __volatile__(".insn i 0x0f, 0, x0, x0, 0x010");
#else
#error "cpu.h: no spin-wait hint for this architecture (arch/PORTING.md)"
#endif
}

#endif /* SLP_ARCH_CPU_H */
