/* SPDX-License-Identifier: MIT */
/* slp — the x86-64 switch frame: its layout as named offsets, the same
 * layout as a C struct (checked against the offsets in arch/layout_check.cpp),
 * and the gas macros that push, pop and fill it. Every x86-64 assembly path
 * uses these: the switch (arch/switch_x86_64_sysv_elf_gas.S) and the
 * benchmarks' cost probes (bench/swap_floor_x86_64.S).
 *
 * The frame, at the saved stack pointer (a push of the return address, then
 * of rbp rbx r12-r15, then the FP control slot, lays it out):
 *
 *   +0   MXCSR             4 bytes (its control bits are what is restored)
 *   +4   x87 control word  2 bytes
 *   +6   padding           2 bytes (never compared)
 *   +8   r15
 *   +16  r14
 *   +24  r13
 *   +32  r12
 *   +40  rbx
 *   +48  rbp
 *   +56  return address
 *   +64  the caller's frame (16-byte aligned)
 */
#ifndef SLP_ARCH_FRAME_X86_64_H
#define SLP_ARCH_FRAME_X86_64_H

#define SLP_FRAME_MXCSR 0
#define SLP_FRAME_X87_CW 4
#define SLP_FRAME_PADDING 6
#define SLP_FRAME_R15 8
#define SLP_FRAME_R14 16
#define SLP_FRAME_R13 24
#define SLP_FRAME_R12 32
#define SLP_FRAME_RBX 40
#define SLP_FRAME_RBP 48
#define SLP_FRAME_RETURN 56
#define SLP_FRAME_SIZE 64

/* Where the frame starts, relative to rsp on entry to a switch function
   (rsp at the return address): the frame's fields are all below it. */
#define SLP_FRAME_AT_ENTRY (0 - SLP_FRAME_RETURN)

/* The MXCSR bits a frame restores: DAZ, the exception masks, the rounding
   mode and FZ (bits 6-15; the psABI makes them callee-saved). Bits 0-5,
   the sticky status flags, are caller-saved: the live ones are kept. */
#define SLP_MXCSR_CONTROL_BITS 0xffc0

#ifdef __ASSEMBLER__
// This is assembly, not C: keep clang-format out.
// clang-format off

/* The pushes of push_callee_saved produce the offsets above only in this
   order; sliced_copies in the switch also relies on rbp's slot being the
   last below the return address. */
.if SLP_FRAME_RBP != SLP_FRAME_RETURN - 8 || SLP_FRAME_RBX != SLP_FRAME_RBP - 8 || SLP_FRAME_R12 != SLP_FRAME_RBX - 8 || SLP_FRAME_R13 != SLP_FRAME_R12 - 8 || SLP_FRAME_R14 != SLP_FRAME_R13 - 8 || SLP_FRAME_R15 != SLP_FRAME_R14 - 8 || SLP_FRAME_R15 != 8 || SLP_FRAME_MXCSR != 0 || SLP_FRAME_SIZE != SLP_FRAME_RETURN + 8
.error "frame_x86_64.h: the SLP_FRAME_* offsets do not match push_callee_saved"
.endif

/* push_callee_saved: pushes rbp rbx r12-r15, then reserves the FP control
   slot (+0 of the frame, 16-byte aligned), leaving rsp at the frame. */
.macro push_callee_saved
        pushq   %rbp
        .cfi_adjust_cfa_offset 8
        .cfi_rel_offset %rbp, 0
        pushq   %rbx
        .cfi_adjust_cfa_offset 8
        .cfi_rel_offset %rbx, 0
        pushq   %r12
        .cfi_adjust_cfa_offset 8
        .cfi_rel_offset %r12, 0
        pushq   %r13
        .cfi_adjust_cfa_offset 8
        .cfi_rel_offset %r13, 0
        pushq   %r14
        .cfi_adjust_cfa_offset 8
        .cfi_rel_offset %r14, 0
        pushq   %r15
        .cfi_adjust_cfa_offset 8
        .cfi_rel_offset %r15, 0
        subq    $SLP_FRAME_R15, %rsp    /* the FP control slot */
        .cfi_adjust_cfa_offset SLP_FRAME_R15
.endm

/* pop_callee_saved: releases the FP control slot and pops the six
   registers of the frame at rsp, leaving the return address on top. */
.macro pop_callee_saved
        addq    $SLP_FRAME_R15, %rsp
        .cfi_adjust_cfa_offset -SLP_FRAME_R15
        popq    %r15
        .cfi_adjust_cfa_offset -8
        .cfi_restore %r15
        popq    %r14
        .cfi_adjust_cfa_offset -8
        .cfi_restore %r14
        popq    %r13
        .cfi_adjust_cfa_offset -8
        .cfi_restore %r13
        popq    %r12
        .cfi_adjust_cfa_offset -8
        .cfi_restore %r12
        popq    %rbx
        .cfi_adjust_cfa_offset -8
        .cfi_restore %rbx
        popq    %rbp
        .cfi_adjust_cfa_offset -8
        .cfi_restore %rbp
.endm

/* The FP control state of a frame: MXCSR's control bits and the x87
 * control word. A switch stores ours, reads them back, and installs the
 * target's only when they differ (the common case costs a compare and a
 * branch not taken):
 *
 *   store_fp_control at, base    stores the live words into the slot of
 *                                the frame at \at(\base);
 *   read_fp_control at, base, mxcsr, cw
 *                                \mxcsr, \cw (eax, r8d unless told) = the
 *                                words stored there;
 *   install_fp_control_then frame, continuation...
 *                                installs the words of the frame at
 *                                (\frame) if they differ from eax, r8d,
 *                                then runs \continuation, which must not
 *                                come back.
 */

/* store_fp_control at, base: done as early as possible, because reading
   back a stmxcsr store at once stalls. */
.macro store_fp_control at=0, base=%rsp
        stmxcsr \at+SLP_FRAME_MXCSR(\base)
        fnstcw  \at+SLP_FRAME_X87_CW(\base)
.endm

/* read_fp_control at, base, mxcsr, cw: each word read with its store's
   size (an 8-byte load over the two stores would miss store forwarding and
   stall). */
.macro read_fp_control at=0, base=%rsp, mxcsr=%eax, cw=%r8d
        movl    \at+SLP_FRAME_MXCSR(\base), \mxcsr
        movzwl  \at+SLP_FRAME_X87_CW(\base), \cw
.endm

/* install_fp_control_then frame, continuation: consumes eax and r8d; the
   rare reload runs out of line, after \continuation, with the CFI state
   \continuation leaves (it must restore that of its start). */
.macro install_fp_control_then frame, continuation:vararg
        xorl    SLP_FRAME_MXCSR(\frame), %eax
        andl    $SLP_MXCSR_CONTROL_BITS, %eax
        xorw    SLP_FRAME_X87_CW(\frame), %r8w
        orw     %r8w, %ax
        jnz     1f                      /* they differ: rare */
2:      \continuation
1:      load_fp_control \frame
        jmp     2b
.endm

/* load_fp_control frame: installs the words of the frame at (\frame): its
   MXCSR control bits with the live status flags, and its x87 control
   word. Uses ecx, esi and the 4 bytes below rsp (the red zone). */
.macro load_fp_control frame
        stmxcsr -4(%rsp)
        movl    -4(%rsp), %ecx
        andl    $~SLP_MXCSR_CONTROL_BITS, %ecx
        movl    SLP_FRAME_MXCSR(\frame), %esi
        andl    $SLP_MXCSR_CONTROL_BITS, %esi
        orl     %esi, %ecx
        movl    %ecx, -4(%rsp)
        ldmxcsr -4(%rsp)
        fldcw   SLP_FRAME_X87_CW(\frame)
.endm

// clang-format on
#else /* C and C++ */

#include <stdint.h>

/* slp_frame: the frame as C sees it. Nothing in core/ reads its fields;
   it exists so that arch/layout_check.cpp can check the offsets above. */
struct slp_frame {
  uint32_t mxcsr;
  uint16_t x87_cw;
  uint16_t padding;
  uint64_t r15, r14, r13, r12, rbx, rbp;
  void *return_address;
};

#endif /* __ASSEMBLER__ */

#endif /* SLP_ARCH_FRAME_X86_64_H */
