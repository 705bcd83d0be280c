/* SPDX-License-Identifier: MIT */
/* slp — the switch-entry thunks and the per-thread switch count they read.
 *
 * The public functions that switch most often (schedule(),
 * schedule_remove(), a channel's send and receive) are reached through a
 * thunk. Each `slp_entry_X` is the symbol the public header declares
 * (include/slp/internal/switch_entry.hpp); it calls `slp_body_X`, the C++ body that
 * core/ implements (core/switch_entries.hpp), with arguments and results
 * untouched. A signature that changes on one side only fails to link or to
 * compile.
 *
 *   __thread uint64_t slp_switch_count;     (arch/switch_entries.h)
 *
 * counts the switches this thread has made: core/ adds one at every switch
 * and takes it back when one is undone. A thunk compares it before and
 * after the body's call.
 *
 * Why (x86-64): after a switch the return-stack predictor holds the other
 * tasklet's return address, so a plain `ret` into user code mispredicts
 * whenever the two tasklets called from different places. The thunk
 * returns by `ret` when the count is unchanged (no switch: predicted) and
 * otherwise by an indirect jump, which is predicted from the branch
 * history. It leaves one stale return-stack entry per switch, which only
 * the circular predictor sees. docs/DESIGN.md, "Returning from a switch",
 * has the measurements.
 *
 * Register contract: the x86-64 thunk saves rbx (callee-saved) around the
 * call, and uses rcx (caller-saved) after it; stack arguments are not
 * supported (the thunk moves the stack). The AArch64 thunk is a tail branch
 * and uses nothing; the riscv64 one is a tail call, which uses t1 (a
 * caller-saved temporary) for the far jump.
 *
 * The x86-64 thunk's frame, while the body runs (CFA = rsp + 16):
 *
 *   +0   rbx              the caller's, restored before returning
 *   +8   return address   into the caller of slp_entry_X
 */
#include "asm_macros.h"

#if defined(__x86_64__)
/* SLP_SWITCH_ENTRY_THUNK(entry, body): a public function `entry` that calls
   `body` and returns to its caller -- by `ret` if no switch happened inside,
   else by `notrack jmp` (a return address has no endbr64). */
#define SLP_SWITCH_ENTRY_THUNK(entry, body)                  \
  SLP_PUBLIC_FUNCTION(entry);                                \
  SLP_LANDING_PAD;                                           \
  pushq %rbx;                                                \
  .cfi_adjust_cfa_offset 8;                                  \
  .cfi_rel_offset %rbx, 0;                                   \
  movq slp_switch_count@gottpoff(%rip), %rbx;                \
  movq %fs:(%rbx), %rbx;          /* switches so far */      \
  call body@PLT;                                             \
  movq slp_switch_count@gottpoff(%rip), %rcx;                \
  cmpq %fs:(%rcx), %rbx;                                     \
  popq %rbx;                                                 \
  .cfi_adjust_cfa_offset -8;                                 \
  .cfi_restore %rbx;                                         \
  jne 1f;                                                    \
  ret;                            /* no switch: predicted */ \
1:;                                                          \
  popq %rcx;                                                 \
  .cfi_adjust_cfa_offset -8;                                 \
  .cfi_register %rip, %rcx;                                  \
  notrack jmp *%rcx;                                         \
  SLP_END(entry)
#elif defined(__aarch64__)
/* AArch64 branches straight to the body: returning by `br` would need a
   BTI landing pad at every return address, which BTI code lacks. */
#define SLP_SWITCH_ENTRY_THUNK(entry, body) \
  SLP_PUBLIC_FUNCTION(entry);               \
  SLP_LANDING_PAD;                          \
  b body;                                   \
  SLP_END(entry)
#elif defined(__riscv) && __riscv_xlen == 64
/* riscv64 tail-calls the body: the x86-64 return trick is worth having
   only where a benchmark shows the return misprediction it avoids. */
#define SLP_SWITCH_ENTRY_THUNK(entry, body) \
  SLP_PUBLIC_FUNCTION(entry);               \
  SLP_LANDING_PAD;                          \
  tail body;                                \
  SLP_END(entry)
#else
#error "switch_entries.S: no switch-entry thunk for this architecture (arch/PORTING.md)"
#endif

SLP_SWITCH_ENTRY_THUNK(slp_entry_schedule, slp_body_schedule)
SLP_SWITCH_ENTRY_THUNK(slp_entry_schedule_remove, slp_body_schedule_remove)
SLP_SWITCH_ENTRY_THUNK(slp_entry_channel_send, slp_body_channel_send)
SLP_SWITCH_ENTRY_THUNK(slp_entry_channel_receive, slp_body_channel_receive)

/* slp_switch_count: initial-exec TLS, so that a thunk reads it with one
   GOT load and one thread-pointer-relative load. */
        .section .tbss, "awT", %nobits
        .p2align 3
        .globl  slp_switch_count
        .hidden slp_switch_count
        .type   slp_switch_count, %object
        .size   slp_switch_count, 8
slp_switch_count:
        .zero   8

SLP_GNU_PROPERTY_NOTE
SLP_NOTE_GNU_STACK
