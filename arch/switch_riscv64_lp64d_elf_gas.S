/* SPDX-License-Identifier: MIT */
/* slp — context switch for riscv64, LP64D psABI, ELF, GNU as.
 *
 *   void *slp_switch(slp_switch_callback cb, void *context);   a0, a1
 *   void *slp_init_frame(void *stack_top, slp_entry_fn entry, void *arg);
 *                                                              a0, a1, a2
 *   void *slp_swap(void **save_sp, void *sp, void *value);      a0, a1, a2
 *   void *slp_swap_sliced(void **save_sp, void *sp, void *value,
 *                         struct slp_slices *slices);          a0-a3
 * Register contract (arch/README.md has the full table):
 *   saved:     s0 (frame pointer), s1-s11, ra, sp, fs0-fs11 (64 bits each),
 *              frm (fcsr's rounding mode)
 *   not saved: a0-a7, t0-t6, ft0-ft11, fa0-fa7 (caller-saved), fflags
 *              (fcsr's accrued exception flags: see below), gp (global
 *              pointer: one per program), tp (TLS: a tasklet never changes
 *              thread), the V extension's registers (caller-saved)
 *
 * The frame every entry pushes or reads (SLP_FRAME_SIZE = 208; the names
 * are arch/frame_riscv64.h's offsets), at the saved sp:
 *
 *   +0   SLP_FRAME_S0        slp_init_frame: 0 (ends frame-pointer walks)
 *   +8   SLP_FRAME_S1        slp_init_frame: entry
 *   +16  SLP_FRAME_S2        slp_init_frame: arg
 *   +24  SLP_FRAME_S3 ... +88 SLP_FRAME_S11
 *   +96  SLP_FRAME_RA        slp_init_frame: slp_tasklet_trampoline
 *   +104 SLP_FRAME_FS0 ... +192 SLP_FRAME_FS11
 *   +200 SLP_FRAME_FRM       the rounding mode (0-4)
 *   +208 caller's frame      (16-byte aligned)
 *
 * frm: the rounding mode is a per-tasklet mode, like the control bits of
 * MXCSR and FPCR on the other ports (fesetround in one tasklet does not
 * change another's). It is written (fsrm, which leaves fflags alone) only
 * when the target's saved value differs from the live one, which is still
 * what was saved on entry (install_fp_control_then in
 * arch/frame_riscv64.h): a CSR write may serialise the pipeline.
 * fflags: the psABI gives fcsr thread storage duration (C11 <fenv.h>) and
 * makes no part of it callee-saved. The flags are sticky status that any
 * call may add to and only an explicit clear removes, so no code can rely
 * on them across a call, and a switch is a call; they stay live, as
 * MXCSR's status flags and FPSR do on the other ports.
 *
 * Landing pads and shadow stacks: rv64gc has neither. The Zicfilp `lpad`
 * and the Zicfiss shadow stack are not claimed: there is no GNU property
 * note to emit (asm_macros.h), and a shadow stack could never follow
 * slices that are copied to the heap and back.
 */
#if !(defined(__riscv) && __riscv_xlen == 64)
#error "switch_riscv64_lp64d_elf_gas.S is for riscv64 only"
#endif

#include "asm_macros.h"
#include "frame_riscv64.h"
#include "switch.h"

/* resume_with ours, value: on the target's stack, writes its rounding mode
   if it differs from ours (\ours), and returns \value to whoever pushed
   the frame. */
.macro resume_with ours, value
        install_fp_control_then \ours, pop_frame_and_return \value
.endm

SLP_FUNCTION(slp_switch)
        SLP_LANDING_PAD
        push_frame s3                   /* s3 = our frm, kept */

        mv      s1, a0                  /* s1 = callback, kept across calls */
        mv      s2, a1                  /* s2 = context */

        mv      a0, s2                  /* sp_new = cb(ctx, SAVE, sp) */
        li      a1, SLP_SWITCH_SAVE
        mv      a2, sp
        jalr    s1
        andi    t1, a0, SLP_SWITCH_NO_RESTORE
        bnez    t1, .Lresident          /* bit 0 set: no RESTORE step */
        mv      sp, a0                  /* now on the target's stack: same CFI */

        mv      a0, s2                  /* a0 = cb(ctx, RESTORE, sp) */
        li      a1, SLP_SWITCH_RESTORE
        mv      a2, sp
        jalr    s1
.Lrestored:                             /* the live frm is still s3's */
        resume_with s3, a0

.Lresident:                             /* the target's frames are in place */
        andi    sp, a0, ~SLP_SWITCH_NO_RESTORE
        mv      a0, s2                  /* result = context */
        j       .Lrestored
SLP_END(slp_switch)


/* slp_swap(save_sp, sp, value): the switch without callbacks, for a target
 * whose frames are already in place. Pushes the same frame as slp_switch,
 * stores its address in *save_sp, installs sp and returns `value` there. */
SLP_FUNCTION(slp_swap)
        SLP_LANDING_PAD
        push_frame t1                   /* t1 = our frm */
        sd      sp, 0(a0)
        mv      sp, a1                  /* now on the target's stack: same CFI */
        resume_with t1, a2
SLP_END(slp_swap)


/* copy_slice from, to, bytes: copies \bytes bytes (a multiple of 16) from
   \from to \to, advancing both; \bytes ends at 0. 32 bytes a step through
   t3-t6 (caller-saved), t2 for the odd 16; nothing on the stack, so it may
   write just above sp. */
.macro copy_slice from, to, bytes
        andi    t2, \bytes, 16
        beqz    t2, 1f
        ld      t3, 0(\from)
        ld      t4, 8(\from)
        sd      t3, 0(\to)
        sd      t4, 8(\to)
        addi    \from, \from, 16
        addi    \to, \to, 16
        addi    \bytes, \bytes, -16
1:      beqz    \bytes, 3f
2:      ld      t3, 0(\from)
        ld      t4, 8(\from)
        ld      t5, 16(\from)
        ld      t6, 24(\from)
        sd      t3, 0(\to)
        sd      t4, 8(\to)
        sd      t5, 16(\to)
        sd      t6, 24(\to)
        addi    \from, \from, 32
        addi    \to, \to, 32
        addi    \bytes, \bytes, -32
        bnez    \bytes, 2b
3:
.endm

/* slp_swap_sliced(save_sp, sp, value, slices): slp_swap to a target whose
 * frames were evicted from the stack we run on (switch.h). a0 save_sp,
 * a1 sp, a2 value (kept), a3 slices; a4 top; t1 our frm; a5, a7 the ends
 * of a copy; a6 bytes. slices->wide is not read (slp_wide_moves() is 0). */
SLP_FUNCTION(slp_swap_sliced)
        SLP_LANDING_PAD
        push_frame t1                   /* t1 = our frm */
        ld      a4, SLP_SLICES_TOP(a3)
        mv      a5, sp
        sub     a6, a4, a5              /* a6 = our frames' size */
        ld      a7, SLP_SLICES_SAVED_SIZE(a3)
        sd      a6, 0(a7)
        ld      a7, SLP_SLICES_SAVE_MIN(a3)
        bltu    a6, a7, .Lsliced_no_room
        ld      a7, SLP_SLICES_SAVE_MAX(a3)
        bgtu    a6, a7, .Lsliced_no_room
        sd      a5, 0(a0)
        ld      a7, SLP_SLICES_SAVE_BUFFER(a3)
        copy_slice a5, a7, a6
        mv      sp, a1                  /* now on the target's stack: same CFI */
        sub     a6, a4, a1              /* a6 = the target's frames' size */
        ld      a7, SLP_SLICES_RESTORE_BUFFER(a3)
        copy_slice a7, a1, a6
        resume_with t1, a2

.Lsliced_no_room:
        pop_frame_and_return a3
SLP_END(slp_swap_sliced)


SLP_FUNCTION(slp_init_frame)
        SLP_LANDING_PAD
        andi    a0, a0, -SLP_STACK_ALIGN
        addi    a0, a0, -SLP_FRAME_SIZE
        sd      zero, SLP_FRAME_S0(a0)  /* s0 = 0 ends frame-pointer walks */
        sd      a1, SLP_FRAME_S1(a0)    /* s1 = entry */
        sd      a2, SLP_FRAME_S2(a0)    /* s2 = arg */
        sd      zero, SLP_FRAME_S3(a0)
        sd      zero, SLP_FRAME_S4(a0)
        sd      zero, SLP_FRAME_S5(a0)
        sd      zero, SLP_FRAME_S6(a0)
        sd      zero, SLP_FRAME_S7(a0)
        sd      zero, SLP_FRAME_S8(a0)
        sd      zero, SLP_FRAME_S9(a0)
        sd      zero, SLP_FRAME_S10(a0)
        sd      zero, SLP_FRAME_S11(a0)
        lla     t0, slp_tasklet_trampoline
        sd      t0, SLP_FRAME_RA(a0)
        sd      zero, SLP_FRAME_FS0(a0) /* +0.0 in every fs register */
        sd      zero, SLP_FRAME_FS1(a0)
        sd      zero, SLP_FRAME_FS2(a0)
        sd      zero, SLP_FRAME_FS3(a0)
        sd      zero, SLP_FRAME_FS4(a0)
        sd      zero, SLP_FRAME_FS5(a0)
        sd      zero, SLP_FRAME_FS6(a0)
        sd      zero, SLP_FRAME_FS7(a0)
        sd      zero, SLP_FRAME_FS8(a0)
        sd      zero, SLP_FRAME_FS9(a0)
        sd      zero, SLP_FRAME_FS10(a0)
        sd      zero, SLP_FRAME_FS11(a0)
        frrm    t0                      /* the new tasklet inherits the */
        sd      t0, SLP_FRAME_FRM(a0)   /* creator's rounding mode */
        ret
SLP_END(slp_init_frame)


/* First frame of every tasklet: reached by the return of a switch with
 * sp = stack_top, s1 = entry, s2 = arg, a0 = result. */
SLP_FUNCTION(slp_tasklet_trampoline)
        .cfi_undefined ra               /* backtraces end here */
        SLP_LANDING_PAD
        mv      a1, a0
        mv      a0, s2
        jalr    s1                      /* entry(arg, result): never returns */
        li      a0, 2                   /* it did: write(2, message), trap */
        lla     a1, .Lreturned_message
        lla     a2, .Lreturned_message_end
        sub     a2, a2, a1              /* the message's length */
        li      a7, 64                  /* SYS_write */
        ecall
        ebreak
SLP_END(slp_tasklet_trampoline)

        .section .rodata
.Lreturned_message:
        .ascii  "slp: fatal: a tasklet entry function returned through its first frame\n"
.Lreturned_message_end:

SLP_GNU_PROPERTY_NOTE
SLP_NOTE_GNU_STACK
