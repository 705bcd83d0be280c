/* SPDX-License-Identifier: MIT */
/* slp — context switch for x86-64, System V psABI, ELF, GNU as.
 *
 *   void *slp_switch(slp_switch_callback cb, void *context);   rdi, rsi
 *   void *slp_init_frame(void *stack_top, slp_entry_fn entry, void *arg);
 *                                                              rdi, rsi, rdx
 *   void *slp_swap(void **save_sp, void *sp, void *value);      rdi, rsi, rdx
 *   void *slp_swap_sliced(void **save_sp, void *sp, void *value,
 *                         struct slp_slices *slices);          rdi-rcx
 * Register contract (arch/README.md has the full table):
 *   saved:     rbx rbp r12 r13 r14 r15, MXCSR control bits, x87 control word
 *   not saved: rax rcx rdx rsi rdi r8-r11 (caller-saved), xmm/ymm/zmm
 *              (all caller-saved in SysV), MXCSR status flags (caller-saved),
 *              fs (TLS: a tasklet never changes thread), the signal mask
 *
 * The frame every entry pushes or reads (SLP_FRAME_SIZE = 64; the names are
 * arch/frame_x86_64.h's offsets), at the saved sp:
 *
 *   +0   SLP_FRAME_MXCSR     MXCSR (4 bytes: its control bits are restored)
 *   +4   SLP_FRAME_X87_CW    x87 control word (2 bytes)
 *   +6   SLP_FRAME_PADDING   2 bytes, never compared
 *   +8   SLP_FRAME_R15
 *   +16  SLP_FRAME_R14
 *   +24  SLP_FRAME_R13       slp_init_frame: arg
 *   +32  SLP_FRAME_R12       slp_init_frame: entry
 *   +40  SLP_FRAME_RBX
 *   +48  SLP_FRAME_RBP       slp_init_frame: 0 (ends frame-pointer walks)
 *   +56  SLP_FRAME_RETURN    slp_init_frame: slp_tasklet_trampoline
 *   +64  caller's frame      (16-byte aligned)
 *
 * MXCSR: the psABI makes the control bits (DAZ, exception masks, rounding,
 * FZ: bits 6-15) callee-saved and the sticky status flags (bits 0-5)
 * caller-saved. Reloading a word whose sticky flags differ from the live
 * ones is slow on some x86 cores (perf-anchors §4.1 in docs/CONTRACT.md),
 * so every entry compares the target's control bits (and x87 control word)
 * with ours, which are still the live ones, and reloads only when they
 * differ, keeping the live status flags
 * (install_fp_control_then in arch/frame_x86_64.h).
 */
#if !defined(__x86_64__)
#error "switch_x86_64_sysv_elf_gas.S is for x86-64 only"
#endif

#include "asm_macros.h"
#include "frame_x86_64.h"
#include "switch.h"

/* push_frame: pushes the frame described above (CFI included). The FP
   control words are stored first, into the red zone where the frame's
   slot will be, so that the pushes give the read-back time. */
.macro push_frame
        store_fp_control SLP_FRAME_AT_ENTRY
        push_callee_saved
.endm

/* pop_frame_and_return value: pops the frame at rsp and returns \value to
   whoever pushed it. Brackets itself with .cfi_remember_state and
   .cfi_restore_state, so code after it has the pushed frame's CFI. */
.macro pop_frame_and_return value
        .cfi_remember_state
        movq    \value, %rax
        pop_callee_saved
        ret                             /* one call site in core: predicted */
        .cfi_restore_state
.endm

/* resume_with value: on the target's stack, installs its FP control words
   if they differ from ours (eax, r8d: read_fp_control), and returns \value
   to whoever pushed the frame. */
.macro resume_with value
        install_fp_control_then %rsp, pop_frame_and_return \value
.endm

SLP_FUNCTION(slp_switch)
        SLP_LANDING_PAD
        push_frame
        /* r13d, r14d = our FP control words, kept across the callbacks. */
        read_fp_control mxcsr=%r13d, cw=%r14d

        movq    %rdi, %rbx              /* rbx = callback, kept across calls */
        movq    %rsi, %r12              /* r12 = context */

        movq    %r12, %rdi              /* sp_new = cb(ctx, SAVE, sp) */
        xorl    %esi, %esi
        movq    %rsp, %rdx
        call    *%rbx
        btrq    $0, %rax                /* SLP_SWITCH_NO_RESTORE: skip RESTORE */
        jc      .Lresident
        movq    %rax, %rsp              /* now on the target's stack: same CFI */

        movq    %r12, %rdi              /* rax = cb(ctx, RESTORE, sp) */
        movl    $SLP_SWITCH_RESTORE, %esi
        movq    %rsp, %rdx
        call    *%rbx
.Lrestored:
        /* The live control words are still those saved on entry (the
           callbacks preserve them, as the ABI requires). */
        movq    %rax, %rdx
        movl    %r13d, %eax
        movl    %r14d, %r8d
        resume_with %rdx

.Lresident:                             /* the target's frames are in place */
        movq    %rax, %rsp
        movq    %r12, %rax              /* result = context */
        jmp     .Lrestored
SLP_END(slp_switch)


/* slp_swap(save_sp, sp, value): the switch without callbacks, for a target
 * whose frames are already in place. Pushes the same frame as slp_switch,
 * stores its address in *save_sp, installs sp and returns `value` there. */
SLP_FUNCTION(slp_swap)
        SLP_LANDING_PAD
        push_frame
        read_fp_control
        movq    %rsp, (%rdi)
        movq    %rsi, %rsp              /* now on the target's stack: same CFI */
        resume_with %rdx
SLP_END(slp_swap)


/* advance from, to, bytes, n: one step of copy_slice done: both pointers
   on by \n bytes, \bytes down by \n (its flags are the subtraction's). */
.macro advance from, to, bytes, n
        addq    $\n, \from
        addq    $\n, \to
        subq    $\n, \bytes
.endm

/* copy_slice from, to, bytes, wide: copies \bytes bytes (a multiple of 16)
   from \from to \to, advancing both; \bytes ends at 0. 64 bytes a step:
   four 16-byte SSE moves, or with \wide=1 two 32-byte AVX moves (half the
   stores; VEX-encoded throughout, so no SSE/AVX transition on Intel
   cores). Uses xmm0-3 (caller-saved) and nothing on the stack, so it may
   write just above rsp. */
.macro copy_slice from, to, bytes, wide
        testq   $16, \bytes
        jz      1f
.if \wide
        vmovups (\from), %xmm0
        vmovups %xmm0, (\to)
.else
        movups  (\from), %xmm0
        movups  %xmm0, (\to)
.endif
        advance \from, \to, \bytes, 16
1:      testq   $32, \bytes
        jz      2f
.if \wide
        vmovups (\from), %ymm0
        vmovups %ymm0, (\to)
.else
        movups  (\from), %xmm0
        movups  16(\from), %xmm1
        movups  %xmm0, (\to)
        movups  %xmm1, 16(\to)
.endif
        advance \from, \to, \bytes, 32
2:      testq   \bytes, \bytes
        jz      4f
3:
.if \wide
        vmovups (\from), %ymm0
        vmovups 32(\from), %ymm1
        vmovups %ymm0, (\to)
        vmovups %ymm1, 32(\to)
.else
        movups  (\from), %xmm0
        movups  16(\from), %xmm1
        movups  32(\from), %xmm2
        movups  48(\from), %xmm3
        movups  %xmm0, (\to)
        movups  %xmm1, 16(\to)
        movups  %xmm2, 32(\to)
        movups  %xmm3, 48(\to)
.endif
        advance \from, \to, \bytes, 64
        jnz     3b
4:
.endm

/* sliced_copies wide: the body of slp_swap_sliced once our frames' size
   (r10) fits. Our frame goes from the registers straight into the save
   buffer, and the target's from its restore buffer straight into the
   registers: only the frames above the saved registers go through the
   stack, so no copy loads what was just stored there one register at a
   time (a load over several smaller stores cannot be forwarded, and waits
   until they reach the cache). The stack part starts at rbp's slot, which
   is right below the return address: [SLP_FRAME_RBP, size) is a multiple
   of 16 bytes; rbp itself goes in after it. Leaves rbx = the restore
   buffer and rsp at the target's return address. */
.macro sliced_copies wide
        leaq    SLP_FRAME_AT_ENTRY(%rsp), %r11
        movq    %r11, (%rdi)            /* *save_sp: where the frame would be */
        movq    SLP_SLICES_SAVE_BUFFER(%rcx), %r11
        movl    %eax, SLP_FRAME_MXCSR(%r11)  /* the frame, as push_frame lays it */
        movw    %r8w, SLP_FRAME_X87_CW(%r11)
        movq    %r15, SLP_FRAME_R15(%r11)
        movq    %r14, SLP_FRAME_R14(%r11)
        movq    %r13, SLP_FRAME_R13(%r11)
        movq    %r12, SLP_FRAME_R12(%r11)
        movq    %rbx, SLP_FRAME_RBX(%r11)
        leaq    SLP_FRAME_AT_ENTRY+SLP_FRAME_RBP(%rsp), %rdi
        addq    $SLP_FRAME_RBP, %r11    /* ours from rbp's slot up */
        subq    $SLP_FRAME_RBP, %r10
        copy_slice %rdi, %r11, %r10, \wide
        movq    SLP_SLICES_SAVE_BUFFER(%rcx), %r11
        movq    %rbp, SLP_FRAME_RBP(%r11)
        leaq    SLP_FRAME_RETURN(%rsi), %rsp /* now on the target's stack */
        movq    %r9, %r10
        subq    %rsi, %r10
        subq    $SLP_FRAME_RBP, %r10    /* the target's from rbp's slot up */
        movq    SLP_SLICES_RESTORE_BUFFER(%rcx), %rbx
        leaq    SLP_FRAME_RBP(%rbx), %rdi   /* (rbp's slot is below rsp: */
        addq    $SLP_FRAME_RBP, %rsi        /* in the red zone)           */
        copy_slice %rdi, %rsi, %r10, \wide
.endm

/* load_buffer_and_return: loads the registers of the frame at rbx (a
   restore buffer) and returns `value` (rdx) to whoever pushed it; rsp is at
   its return address already. Brackets itself like pop_frame_and_return. */
.macro load_buffer_and_return
        .cfi_remember_state
        movq    %rdx, %rax
        movq    SLP_FRAME_R15(%rbx), %r15
        movq    SLP_FRAME_R14(%rbx), %r14
        movq    SLP_FRAME_R13(%rbx), %r13
        movq    SLP_FRAME_R12(%rbx), %r12
        movq    SLP_FRAME_RBP(%rbx), %rbp
        movq    SLP_FRAME_RBX(%rbx), %rbx
        ret
        .cfi_restore_state
.endm

/* resume_from_buffer: installs the FP control words of the frame at rbx if
   they differ from ours (eax, r8d), loads its registers and returns
   `value` (rdx) to whoever pushed it, with rsp at its return address. */
.macro resume_from_buffer
        install_fp_control_then %rbx, load_buffer_and_return
.endm

/* slp_swap_sliced(save_sp, sp, value, slices): slp_swap to a target whose
 * frames were evicted from the stack we run on (switch.h). rdi save_sp,
 * rsi sp, rdx value (kept), rcx slices; eax, r8d our FP control words;
 * r9 top; r10 bytes; r11 the other end of a copy. It pushes nothing: the
 * frame slp_swap would push is written into the save buffer instead, so
 * the CFI of the entry (CFA = rsp + 8, every register its own) holds until
 * rsp moves to the target's return address, where it holds again. */
SLP_FUNCTION(slp_swap_sliced)
        SLP_LANDING_PAD
        store_fp_control -16            /* scratch in the red zone, read back below */
        movq    SLP_SLICES_TOP(%rcx), %r9
        movq    %r9, %r10
        subq    %rsp, %r10
        addq    $SLP_FRAME_RETURN, %r10 /* r10 = our frames' size */
        movq    SLP_SLICES_SAVED_SIZE(%rcx), %r11
        movq    %r10, (%r11)
        cmpq    SLP_SLICES_SAVE_MIN(%rcx), %r10
        jb      .Lsliced_no_room
        cmpq    SLP_SLICES_SAVE_MAX(%rcx), %r10
        ja      .Lsliced_no_room
        read_fp_control -16
        cmpq    $0, SLP_SLICES_WIDE(%rcx)
        jne     .Lsliced_wide
        sliced_copies 0
        resume_from_buffer

.Lsliced_no_room:
        movq    %rcx, %rax
        ret

.Lsliced_wide:
        sliced_copies 1
        vzeroupper
        resume_from_buffer
SLP_END(slp_swap_sliced)


SLP_FUNCTION(slp_init_frame)
        SLP_LANDING_PAD
        andq    $-SLP_STACK_ALIGN, %rdi /* rdi = aligned top */
        leaq    -SLP_FRAME_SIZE(%rdi), %rax
        store_fp_control base=%rax      /* the new tasklet inherits the */
                                        /* creator's FP control modes   */
        movw    $0, SLP_FRAME_PADDING(%rax)
        movq    $0, SLP_FRAME_R15(%rax)
        movq    $0, SLP_FRAME_R14(%rax)
        movq    %rdx, SLP_FRAME_R13(%rax)   /* r13 = arg */
        movq    %rsi, SLP_FRAME_R12(%rax)   /* r12 = entry */
        movq    $0, SLP_FRAME_RBX(%rax)
        movq    $0, SLP_FRAME_RBP(%rax)     /* rbp = 0 */
        leaq    slp_tasklet_trampoline(%rip), %rcx
        movq    %rcx, SLP_FRAME_RETURN(%rax)
        ret
SLP_END(slp_init_frame)


/* First frame of every tasklet: reached by the return of slp_switch with
 * rsp = stack_top (16-byte aligned), r12 = entry, r13 = arg, rax = result. */
SLP_FUNCTION(slp_tasklet_trampoline)
        .cfi_undefined %rip             /* backtraces end here */
        SLP_LANDING_PAD
        movq    %r13, %rdi
        movq    %rax, %rsi
        call    *%r12                   /* entry(arg, result): never returns */
        movl    $2, %edi                /* it did: write(2, message), trap */
        leaq    .Lreturned_message(%rip), %rsi
        movl    $(.Lreturned_message_end - .Lreturned_message), %edx
        movl    $1, %eax                /* SYS_write */
        syscall
        ud2
SLP_END(slp_tasklet_trampoline)

        .section .rodata
.Lreturned_message:
        .ascii  "slp: fatal: a tasklet entry function returned through its first frame\n"
.Lreturned_message_end:

SLP_GNU_PROPERTY_NOTE
SLP_NOTE_GNU_STACK
