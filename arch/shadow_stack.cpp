// SPDX-License-Identifier: MIT
// slp — the shadow-stack query of arch/shadow_stack.h for this processor.
// x86-64: the kernel's ARCH_SHSTK_STATUS (Linux 6.6 on; glibc enables user
// shadow stacks through its glibc.cpu.x86_shstk tunable). Elsewhere slp
// knows of none it could meet: AArch64's GCS is not enabled for user
// processes by the kernels and C libraries slp runs on (arch/README.md).
#include "arch/shadow_stack.h"

#if defined(__x86_64__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

extern "C" [[gnu::weak]] int slp_shadow_stack_enabled(void) {
#if defined(__x86_64__)
  constexpr long arch_shstk_status = 0x5005;  // <asm/prctl.h>, Linux 6.6
  constexpr unsigned long arch_shstk_shstk = 1;
  unsigned long features = 0;
  // An older kernel answers EINVAL: it has no user shadow stacks at all.
  if (syscall(SYS_arch_prctl, arch_shstk_status, &features) != 0) return 0;
  return (features & arch_shstk_shstk) != 0 ? 1 : 0;
#else
  return 0;
#endif
}
