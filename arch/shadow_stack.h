/* SPDX-License-Identifier: MIT */
/* slp — whether the calling thread runs with a hardware shadow stack.
 *
 * A shadow stack (x86-64 CET SHSTK; AArch64 GCS) keeps a second copy of
 * every return address that the CPU checks at each return. slp's switches
 * return into frames that stack slicing copied back from the heap, and no
 * instruction of the switch can make the shadow stack follow, so such a
 * process would stop at the first return after a slicing switch. slp
 * refuses to start instead (core/scheduler.cpp).
 *
 * slp_shadow_stack_enabled is a weak definition (arch/shadow_stack.cpp):
 * a program (a test) may define its own to stand for a CPU this machine
 * does not have. */
#ifndef SLP_ARCH_SHADOW_STACK_H
#define SLP_ARCH_SHADOW_STACK_H

#ifdef __cplusplus
extern "C" {
#endif

/* slp_shadow_stack_enabled: 1 when the calling thread's returns are checked
 * against a hardware shadow stack, else 0. */
int slp_shadow_stack_enabled(void);

#ifdef __cplusplus
}
#endif

#endif /* SLP_ARCH_SHADOW_STACK_H */
