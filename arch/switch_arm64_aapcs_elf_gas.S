/* SPDX-License-Identifier: MIT */
/* slp — context switch for AArch64, AAPCS64, ELF, GNU as.
 *
 *   void *slp_switch(slp_switch_callback cb, void *context);   x0, x1
 *   void *slp_init_frame(void *stack_top, slp_entry_fn entry, void *arg);
 *                                                              x0, x1, x2
 *   void *slp_swap(void **save_sp, void *sp, void *value);      x0, x1, x2
 *   void *slp_swap_sliced(void **save_sp, void *sp, void *value,
 *                         struct slp_slices *slices);          x0-x3
 * Register contract (arch/README.md has the full table):
 *   saved:     x19-x28, x29 (frame pointer), x30 (link register), sp,
 *              d8-d15 (the low 64 bits of v8-v15), FPCR (rounding, FZ, DN)
 *   not saved: x0-x18 (x18 is the platform register: untouched), v0-v7,
 *              v16-v31, the upper halves of v8-v15, FPSR (cumulative flags,
 *              caller-saved), tpidr_el0 (TLS: a tasklet never changes thread)
 *
 * The frame every entry pushes or reads (SLP_FRAME_SIZE = 176; the names are
 * arch/frame_arm64.h's offsets), at the saved sp:
 *
 *   +0   SLP_FRAME_X19  X20  slp_init_frame: x19 = entry, x20 = arg
 *   +16  SLP_FRAME_X21  X22
 *   +32  SLP_FRAME_X23  X24
 *   +48  SLP_FRAME_X25  X26
 *   +64  SLP_FRAME_X27  X28
 *   +80  SLP_FRAME_X29  X30  x30 is PAC-signed with the sp of +176;
 *                            slp_init_frame: x29 = 0, x30 = trampoline
 *   +96  SLP_FRAME_D8   D9
 *   +112 SLP_FRAME_D10  D11
 *   +128 SLP_FRAME_D12  D13
 *   +144 SLP_FRAME_D14  D15
 *   +160 SLP_FRAME_FPCR PADDING
 *   +176 caller's frame      (16-byte aligned)
 *
 * BTI: every global entry starts with `bti c`. PAC: the return address is
 * signed on entry (paciasp) and authenticated on exit (autiasp) with the
 * stack pointer as modifier; a tasklet's frames never move (its slice is
 * always restored at the same addresses), so both this signature and the
 * ones compiled code keeps in its own frames stay valid across slicing. On
 * cores without PAC these hint instructions are no-ops.
 *
 * FPCR: written only when the target's saved value differs from the live
 * one (an FPCR write can serialise the pipeline); the live one is still
 * what was saved on entry (install_fp_control_then in arch/frame_arm64.h).
 */
#if !defined(__aarch64__)
#error "switch_arm64_aapcs_elf_gas.S is for AArch64 only"
#endif

#include "asm_macros.h"
#include "frame_arm64.h"
#include "switch.h"

/* resume_with ours, value: on the target's stack, writes its FPCR if it
   differs from ours (\ours), and returns \value to whoever pushed the
   frame. */
.macro resume_with ours, value
        install_fp_control_then \ours, pop_frame_and_return \value
.endm

SLP_FUNCTION(slp_switch)
        SLP_LANDING_PAD
        push_frame x21                  /* x21 = our FPCR, kept */

        mov     x19, x0                 /* x19 = callback, kept across calls */
        mov     x20, x1                 /* x20 = context */

        mov     x0, x20                 /* sp_new = cb(ctx, SAVE, sp) */
        mov     w1, #SLP_SWITCH_SAVE
        mov     x2, sp
        blr     x19
        tbnz    x0, #0, .Lresident      /* bit 0 set: no RESTORE step */
        mov     sp, x0                  /* now on the target's stack: same CFI */

        mov     x0, x20                 /* x0 = cb(ctx, RESTORE, sp) */
        mov     w1, #SLP_SWITCH_RESTORE
        mov     x2, sp
        blr     x19
.Lrestored:                             /* the live FPCR is still x21's */
        resume_with x21, x0

.Lresident:                             /* the target's frames are in place */
        and     x9, x0, #~SLP_SWITCH_NO_RESTORE
        mov     sp, x9
        mov     x0, x20                 /* result = context */
        b       .Lrestored
SLP_END(slp_switch)


/* slp_swap(save_sp, sp, value): the switch without callbacks, for a target
 * whose frames are already in place. Pushes the same frame as slp_switch,
 * stores its address in *save_sp, installs sp and returns `value` there. */
SLP_FUNCTION(slp_swap)
        SLP_LANDING_PAD
        push_frame x10                  /* x10 = our FPCR */
        mov     x9, sp
        str     x9, [x0]
        mov     sp, x1                  /* now on the target's stack: same CFI */
        resume_with x10, x2
SLP_END(slp_swap)


/* copy_slice from, to, bytes: copies \bytes bytes (a multiple of 16) from
   \from to \to, advancing both; \bytes ends at 0. 64 bytes a step, in two
   pairs of q registers (v0-v3: caller-saved); nothing on the stack, so it
   may write just above sp. */
.macro copy_slice from, to, bytes
        tbz     \bytes, #4, 1f
        ldr     q0, [\from], #16
        str     q0, [\to], #16
        sub     \bytes, \bytes, #16
1:      tbz     \bytes, #5, 2f
        ldp     q0, q1, [\from], #32
        stp     q0, q1, [\to], #32
        sub     \bytes, \bytes, #32
2:      cbz     \bytes, 4f
3:      ldp     q0, q1, [\from], #32
        ldp     q2, q3, [\from], #32
        stp     q0, q1, [\to], #32
        stp     q2, q3, [\to], #32
        subs    \bytes, \bytes, #64
        b.ne    3b
4:
.endm

/* slp_swap_sliced(save_sp, sp, value, slices): slp_swap to a target whose
 * frames were evicted from the stack we run on (switch.h). x0 save_sp,
 * x1 sp, x2 value (kept), x3 slices; x9 top; x10 our FPCR; x11, x13 the
 * ends of a copy; x12 bytes. */
SLP_FUNCTION(slp_swap_sliced)
        SLP_LANDING_PAD
        push_frame x10                  /* x10 = our FPCR */
        ldr     x9, [x3, #SLP_SLICES_TOP]
        mov     x11, sp
        sub     x12, x9, x11            /* x12 = our frames' size */
        ldr     x13, [x3, #SLP_SLICES_SAVED_SIZE]
        str     x12, [x13]
        ldp     x13, x14, [x3, #SLP_SLICES_SAVE_MIN]
        cmp     x12, x13
        b.lo    .Lsliced_no_room
        cmp     x12, x14
        b.hi    .Lsliced_no_room
        str     x11, [x0]
        ldr     x13, [x3, #SLP_SLICES_SAVE_BUFFER]
        copy_slice x11, x13, x12
        mov     sp, x1                  /* now on the target's stack: same CFI */
        sub     x12, x9, x1             /* x12 = the target's frames' size */
        ldr     x13, [x3, #SLP_SLICES_RESTORE_BUFFER]
        copy_slice x13, x1, x12
        resume_with x10, x2

.Lsliced_no_room:
        pop_frame_and_return x3
SLP_END(slp_swap_sliced)


SLP_FUNCTION(slp_init_frame)
        SLP_LANDING_PAD
        and     x0, x0, #~(SLP_STACK_ALIGN - 1)
        mov     x16, x0                 /* x16 = sp after the frame is popped */
        sub     x0, x0, #SLP_FRAME_SIZE
        stp     x1, x2, [x0, #SLP_FRAME_X19]    /* x19 = entry, x20 = arg */
        stp     xzr, xzr, [x0, #SLP_FRAME_X21]
        stp     xzr, xzr, [x0, #SLP_FRAME_X23]
        stp     xzr, xzr, [x0, #SLP_FRAME_X25]
        stp     xzr, xzr, [x0, #SLP_FRAME_X27]
        adrp    x17, slp_tasklet_trampoline
        add     x17, x17, :lo12:slp_tasklet_trampoline
        SLP_PACIA1716                   /* sign x17 with x16, as paciasp would */
        stp     xzr, x17, [x0, #SLP_FRAME_X29]  /* x29 = 0 ends frame-pointer walks */
        stp     xzr, xzr, [x0, #SLP_FRAME_D8]
        stp     xzr, xzr, [x0, #SLP_FRAME_D10]
        stp     xzr, xzr, [x0, #SLP_FRAME_D12]
        stp     xzr, xzr, [x0, #SLP_FRAME_D14]
        mrs     x9, fpcr                /* the new tasklet inherits the */
        stp     x9, xzr, [x0, #SLP_FRAME_FPCR]  /* creator's FP control modes */
        ret
SLP_END(slp_init_frame)


/* First frame of every tasklet: reached by the return of slp_switch with
 * sp = stack_top, x19 = entry, x20 = arg, x0 = result. */
SLP_FUNCTION(slp_tasklet_trampoline)
        .cfi_undefined x30              /* backtraces end here */
        SLP_LANDING_PAD
        mov     x1, x0
        mov     x0, x20
        blr     x19                     /* entry(arg, result): never returns */
        mov     x0, #2                  /* it did: write(2, message), trap */
        adrp    x1, .Lreturned_message
        add     x1, x1, :lo12:.Lreturned_message
        mov     x2, #(.Lreturned_message_end - .Lreturned_message)
        mov     x8, #64                 /* SYS_write */
        svc     #0
        brk     #0x3e8
SLP_END(slp_tasklet_trampoline)

        .section .rodata
.Lreturned_message:
        .ascii  "slp: fatal: a tasklet entry function returned through its first frame\n"
.Lreturned_message_end:

SLP_GNU_PROPERTY_NOTE
SLP_NOTE_GNU_STACK
