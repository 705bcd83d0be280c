/* SPDX-License-Identifier: MIT */
/* slp — the assembly switch primitive: C prototypes and the saved-frame layout.
 *
 * This header is shared by the .S files (with __ASSEMBLER__ defined) and by
 * core/ (C++). Of the frame the switch pushes, core/ needs only its size,
 * SLP_FRAME_SIZE, from the frame header of the architecture included below;
 * arch/layout_check.cpp checks the layout against its C view.
 *
 * The protocol is stackman's:
 *
 *   void *slp_switch(slp_switch_callback cb, void *context);
 *
 *     1. push every callee-saved register (and the FP control state) on the
 *        current stack;
 *     2. sp_new = cb(context, SLP_SWITCH_SAVE, sp)    -- on the old stack
 *     3. install sp_new as the stack pointer;
 *     4. result = cb(context, SLP_SWITCH_RESTORE, sp_new) -- on the new stack
 *     5. pop the registers found at sp_new and return `result` to whoever
 *        pushed them.
 *
 *   If the SAVE step returns sp_new | SLP_SWITCH_NO_RESTORE, step 4 is
 *   skipped and `result` is `context`: the common switch to a target whose
 *   frames are already in place costs one callback, not two.
 *
 *   void *slp_swap(void **save_sp, void *sp, void *value);
 *
 *     the switch without callbacks, for a caller that already knows the
 *     target's frames are in place (or that `sp` came from
 *     slp_init_frame): pushes the same frame as slp_switch, stores its
 *     address in *save_sp, installs `sp`, and returns `value` to whoever
 *     pushed the frame found there. The two functions resume each other's
 *     frames.
 *
 *   void *slp_swap_sliced(void **save_sp, void *sp, void *value,
 *                         struct slp_slices *slices);
 *
 *     slp_swap to a target whose frames were evicted from the stack we run
 *     on, all in assembly: copies our frames, [sp after a push of the
 *     frame, slices->top), to slices->save_buffer and their size to
 *     *slices->saved_size, stores the frame's address in *save_sp, installs
 *     `sp`, copies the target's frames from slices->restore_buffer back to
 *     [sp, slices->top) and returns `value` to them. The buffers hold the
 *     frame exactly as a push lays it out, but on x86-64 it never passes
 *     through the stack: the registers are stored into the save buffer
 *     and loaded from the restore buffer. The copies run above the stack
 *     pointer (or in its red zone). Our frames are copied only when their
 *     size is in
 *     [save_min, save_max]; otherwise it returns `slices` at once, with
 *     nothing changed but *saved_size, which tells the size they need.
 *     Every size is a multiple of 16, at least 32.
 *
 *   void *slp_init_frame(void *stack_top, slp_entry_fn entry, void *arg);
 *
 *     writes, just below `stack_top` (rounded down to 16 bytes), a frame that
 *     looks like one pushed by step 1 and returns its address: the stack
 *     pointer to hand back from a SAVE step. When a switch restores it,
 *     `entry(arg, result)` runs on that stack with `result` the value of the
 *     RESTORE step. `entry` must never return: if it does, the process
 *     writes a message to stderr and traps.
 *
 * Example:
 *
 *   static void *on_switch(void *ctx, int op, void *sp) {
 *     struct request *r = ctx;
 *     if (op == SLP_SWITCH_SAVE) { r->from->sp = sp; return r->to->sp; }
 *     return r->value;
 *   }
 */
#ifndef SLP_ARCH_SWITCH_H
#define SLP_ARCH_SWITCH_H

#define SLP_SWITCH_SAVE 0
#define SLP_SWITCH_RESTORE 1
/* Or'ed into the SAVE step's result (stack pointers are 16-byte aligned):
   skip the RESTORE step. */
#define SLP_SWITCH_NO_RESTORE 1

/* The frame the switch pushes: SLP_FRAME_SIZE and the offset of every
   saved register, in one header per architecture (arch/PORTING.md). */
#if defined(__x86_64__)
#include "frame_x86_64.h"
#elif defined(__aarch64__)
#include "frame_arm64.h"
#elif defined(__riscv) && __riscv_xlen == 64
#include "frame_riscv64.h"
#else
#error "slp: no switch for this architecture (see arch/PORTING.md)"
#endif

/* Every stack pointer slp hands out or accepts is aligned to this. */
#define SLP_STACK_ALIGN 16

/* The offsets of struct slp_slices' fields, for the assembly. */
#define SLP_SLICES_TOP 0
#define SLP_SLICES_SAVE_BUFFER 8
#define SLP_SLICES_SAVE_MIN 16
#define SLP_SLICES_SAVE_MAX 24
#define SLP_SLICES_SAVED_SIZE 32
#define SLP_SLICES_RESTORE_BUFFER 40
#define SLP_SLICES_WIDE 48

#ifndef __ASSEMBLER__
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What slp_swap_sliced copies (offsets above; core/ checks them). */
struct slp_slices {
  void *top;                  /* the top of the stack both contexts share */
  void *save_buffer;          /* where our frames go */
  size_t save_min, save_max;  /* the sizes save_buffer takes */
  size_t *saved_size;         /* receives our frames' size */
  const void *restore_buffer; /* the target's frames */
  size_t wide;                /* x86-64: non-zero to copy with AVX */
};

typedef void *(*slp_switch_callback)(void *context, int op, void *sp);
typedef void (*slp_entry_fn)(void *arg, void *result);

void *slp_switch(slp_switch_callback cb, void *context);
void *slp_init_frame(void *stack_top, slp_entry_fn entry, void *arg);
void *slp_swap(void **save_sp, void *sp, void *value);
void *slp_swap_sliced(void **save_sp, void *sp, void *value,
                      struct slp_slices *slices);

#ifdef __cplusplus
}
#endif
#endif /* __ASSEMBLER__ */

#endif /* SLP_ARCH_SWITCH_H */
