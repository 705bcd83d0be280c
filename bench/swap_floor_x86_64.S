/* slp benchmarks — cost probes for the x86-64 switch: three variants of
 * slp_swap that differ ONLY in how they treat the FP control state, so
 * BM_SwapFloor can split slp_swap's time into its parts on this CPU
 * (docs/PERFORMANCE.md, "The floor of a switch"). Not part of the library:
 * two of them are not correct switches (they lose a context's rounding
 * mode), and none is used outside switch_bench.
 *
 *   void *bench_swap_no_fp(void **save_sp, void *sp, void *value);
 *     no MXCSR, no x87 control word: the general registers only.
 *   void *bench_swap_fp_store(void **save_sp, void *sp, void *value);
 *     stores MXCSR and the x87 control word, never reads them back.
 *   void *bench_swap_fp_reload(void **save_sp, void *sp, void *value);
 *     stores both and reloads the target's unconditionally, as Boost's
 *     jump_fcontext does: cheap while the words are equal, the MXCSR cliff
 *     (perf-anchors §4.1) whenever the sticky flags differ.
 *
 * slp_swap itself adds to bench_swap_fp_store the compare of the control
 * bits and a reload only when they differ. All four push slp's frame
 * (arch/switch.h), so a frame from slp_init_frame starts any of them. */
#include "arch/asm_macros.h"

.macro probe_push
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
        subq    $8, %rsp                /* the FP control slot */
        .cfi_adjust_cfa_offset 8
.endm

/* probe_pop_and_return: the frame at rsp (the target's, after the swap:
   the same shape, so the same CFI). */
.macro probe_pop_and_return
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
        ret
.endm

.macro probe_swap_and_pop
        movq    %rsp, (%rdi)
        movq    %rsi, %rsp
        movq    %rdx, %rax
        probe_pop_and_return
.endm

SLP_FUNCTION(bench_swap_no_fp)
        SLP_LANDING_PAD
        probe_push
        probe_swap_and_pop
SLP_END(bench_swap_no_fp)

SLP_FUNCTION(bench_swap_fp_store)
        SLP_LANDING_PAD
        stmxcsr -56(%rsp)               /* where slp_swap stores them */
        fnstcw  -52(%rsp)
        probe_push
        probe_swap_and_pop
SLP_END(bench_swap_fp_store)

SLP_FUNCTION(bench_swap_fp_reload)
        SLP_LANDING_PAD
        stmxcsr -56(%rsp)
        fnstcw  -52(%rsp)
        probe_push
        movq    %rsp, (%rdi)
        movq    %rsi, %rsp
        ldmxcsr (%rsp)
        fldcw   4(%rsp)
        movq    %rdx, %rax
        probe_pop_and_return
SLP_END(bench_swap_fp_reload)

SLP_GNU_PROPERTY_NOTE
SLP_NOTE_GNU_STACK
