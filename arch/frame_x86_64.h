/* slp — the general-register part of the x86-64 switch frame (arch/switch.h
 * has the layout), shared by the switch (arch/switch_x86_64_sysv_elf_gas.S)
 * and the benchmarks' cost probes (bench/swap_floor_x86_64.S):
 *   push_callee_saved   pushes rbp rbx r12-r15, then reserves the 8-byte FP
 *                       control slot (at +0 of the frame, 16-byte aligned);
 *   pop_callee_saved    releases that slot and pops the six registers of the
 *                       frame at rsp, leaving the return address on top.
 * Both carry their CFI. Include only from assembly. */
// This is assembly, not C: keep clang-format out.
// clang-format off
#ifndef SLP_ARCH_FRAME_X86_64_H
#define SLP_ARCH_FRAME_X86_64_H

#ifndef __ASSEMBLER__
#error "frame_x86_64.h is for assembly files only"
#endif

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
        subq    $8, %rsp                /* the FP control slot: 16-aligned */
        .cfi_adjust_cfa_offset 8
.endm

.macro pop_callee_saved
        addq    $8, %rsp
        .cfi_adjust_cfa_offset -8
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

#endif /* SLP_ARCH_FRAME_X86_64_H */
