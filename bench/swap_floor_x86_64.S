/* SPDX-License-Identifier: MIT */
/* slp benchmarks — cost probes for the x86-64 switch: three variants of
 * slp_swap that differ ONLY in how they treat the FP control state, so
 * BM_SwapFloor can split slp_swap's time into its parts on this CPU
 * (docs/PERFORMANCE.md, "Where the time goes"). Not part of the library:
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
 * (arch/frame_x86_64.h), so a frame from slp_init_frame starts any of
 * them. */
#include "arch/asm_macros.h"
#include "arch/frame_x86_64.h"

/* probe_pop_and_return: the frame at rsp (the target's, after the swap:
   the same shape, so the same CFI). */
.macro probe_pop_and_return
        pop_callee_saved
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
        push_callee_saved
        probe_swap_and_pop
SLP_END(bench_swap_no_fp)

SLP_FUNCTION(bench_swap_fp_store)
        SLP_LANDING_PAD
        store_fp_control SLP_FRAME_AT_ENTRY /* where slp_swap stores them */
        push_callee_saved
        probe_swap_and_pop
SLP_END(bench_swap_fp_store)

SLP_FUNCTION(bench_swap_fp_reload)
        SLP_LANDING_PAD
        store_fp_control SLP_FRAME_AT_ENTRY
        push_callee_saved
        movq    %rsp, (%rdi)
        movq    %rsi, %rsp
        ldmxcsr SLP_FRAME_MXCSR(%rsp)
        fldcw   SLP_FRAME_X87_CW(%rsp)
        movq    %rdx, %rax
        probe_pop_and_return
SLP_END(bench_swap_fp_reload)

SLP_GNU_PROPERTY_NOTE
SLP_NOTE_GNU_STACK
