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
 * The frame slp_switch pushes (SLP_FRAME_SIZE = 64), at the saved sp:
 *
 *   +0   MXCSR            4 bytes (control bits are what matters)
 *   +4   x87 control word 2 bytes
 *   +6   padding          2 bytes
 *   +8   r15
 *   +16  r14
 *   +24  r13              slp_init_frame: arg
 *   +32  r12              slp_init_frame: entry
 *   +40  rbx
 *   +48  rbp              slp_init_frame: 0 (ends frame-pointer walks)
 *   +56  return address   slp_init_frame: slp_tasklet_trampoline
 *   +64  caller's frame   (16-byte aligned)
 *
 * MXCSR: the psABI makes the control bits (DAZ, exception masks, rounding,
 * FZ: bits 6-15) callee-saved and the sticky status flags (bits 0-5)
 * caller-saved. Reloading a word whose sticky flags differ from the live ones
 * costs ~60 ns on recent x86 cores, so the restore compares the target's
 * control bits (and x87 control word) with the live ones, which are still
 * those saved on entry and kept in r13, and reloads only when they differ,
 * keeping the live status flags.
 */
#if !defined(__x86_64__)
#error "switch_x86_64_sysv_elf_gas.S is for x86-64 only"
#endif

#include "asm_macros.h"
#include "frame_x86_64.h"
#include "switch.h"

#define MXCSR_CONTROL_BITS 0xffc0
/* The MXCSR control bits and the whole x87 control word, as they sit in the
   frame's first 8 bytes (MXCSR at +0, x87 CW at +4; the padding at +6 is
   never compared). */
#define FP_CONTROL_MASK 0x0000ffff0000ffc0

/* store_fp_control offset: stores MXCSR and the x87 control word at
   \offset(%rsp), as the frame's first 8 bytes lay them out. Done early: the
   later read-back of a stmxcsr store is slow. */
.macro store_fp_control offset
        stmxcsr \offset(%rsp)
        fnstcw  \offset+4(%rsp)
.endm

/* push_frame: pushes the frame described above (CFI included). The FP
   control words are stored first, into the red zone where the frame's
   slot will be, so that the pushes give the read-back time. */
.macro push_frame
        store_fp_control -56            /* the frame's +0 once pushed */
        push_callee_saved               /* arch/frame_x86_64.h */
.endm

/* pop_frame_and_return: pops the frame at rsp and returns to whoever
   pushed it. Brackets itself with .cfi_remember_state/.cfi_restore_state,
   so code after it has the pushed frame's CFI. */
.macro pop_frame_and_return
        .cfi_remember_state
        pop_callee_saved
        ret                             /* one call site in core: predicted */
        .cfi_restore_state
.endm

/* load_fp_control frame: installs the FP control words of the frame at
   \frame (rsp unless told): its MXCSR control bits with the live status
   flags, and its x87 control word. Uses ecx, esi and the red zone. */
.macro load_fp_control frame=%rsp
        stmxcsr -4(%rsp)
        movl    -4(%rsp), %ecx
        andl    $~MXCSR_CONTROL_BITS, %ecx
        movl    (\frame), %esi
        andl    $MXCSR_CONTROL_BITS, %esi
        orl     %esi, %ecx
        movl    %ecx, -4(%rsp)
        ldmxcsr -4(%rsp)
        fldcw   4(\frame)
.endm

/* read_fp_control offset: eax, r8d = our FP control words, from where
   store_fp_control put them (the frame just pushed unless told), each
   read with its store's size (an 8-byte load over the two stores would
   miss store forwarding and stall). */
.macro read_fp_control offset=0
        movl    \offset(%rsp), %eax
        movzwl  \offset+4(%rsp), %r8d
.endm

/* resume_with value: on the target's stack, installs its FP control words
   if they differ from ours (eax, r8d: read_fp_control), and returns \value
   to whoever pushed the frame. */
.macro resume_with value
        xorl    (%rsp), %eax
        andl    $MXCSR_CONTROL_BITS, %eax
        xorw    4(%rsp), %r8w
        orw     %r8w, %ax
        jnz     1f                      /* they differ: rare */
2:      movq    \value, %rax
        pop_frame_and_return
1:      load_fp_control
        jmp     2b
.endm

SLP_FUNCTION(slp_switch)
        SLP_LANDING_PAD
        push_frame
        /* r13 = our FP control words, kept: read back with one load per
           store (an 8-byte load over the two stores would miss store
           forwarding and stall for ~15 cycles). The padding at +6 is never
           compared. */
        movl    (%rsp), %r13d
        movzwl  4(%rsp), %ecx
        shlq    $32, %rcx
        orq     %rcx, %r13

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

        /* The live control words are still those saved on entry (in r13:
           the callbacks preserve them, as the ABI requires): compare the
           target's with them, without reading the FP state again. */
        movq    (%rsp), %rcx
        xorq    %r13, %rcx
        movabsq $FP_CONTROL_MASK, %rdx
        testq   %rdx, %rcx
        jnz     .Lload_fp_control       /* they differ: rare */
.Lfp_control_done:
        pop_frame_and_return

.Lresident:                             /* the target's frames are in place */
        movq    %rax, %rsp
        movq    %r12, %rax              /* result = context */
        jmp     .Lrestored

.Lload_fp_control:
        load_fp_control
        jmp     .Lfp_control_done
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
   until they reach the cache). Leaves rbx = the restore buffer and rsp at
   the target's return address. */
.macro sliced_copies wide
        leaq    -SLP_FRAME_SIZE+8(%rsp), %r11
        movq    %r11, (%rdi)            /* *save_sp: where the frame would be */
        movq    SLP_SLICES_SAVE_BUFFER(%rcx), %r11
        movl    %eax, (%r11)            /* the frame, as push_frame lays it */
        movw    %r8w, 4(%r11)
        movq    %r15, 8(%r11)
        movq    %r14, 16(%r11)
        movq    %r13, 24(%r11)
        movq    %r12, 32(%r11)
        movq    %rbx, 40(%r11)
        leaq    -8(%rsp), %rdi          /* the copy from rbp's slot up: a */
        addq    $48, %r11               /* multiple of 16 bytes; rbp goes */
        subq    $48, %r10               /* in after it                    */
        copy_slice %rdi, %r11, %r10, \wide
        movq    SLP_SLICES_SAVE_BUFFER(%rcx), %r11
        movq    %rbp, 48(%r11)
        leaq    SLP_FRAME_SIZE-8(%rsi), %rsp /* now on the target's stack */
        movq    %r9, %r10
        subq    %rsi, %r10
        subq    $48, %r10               /* the target's frames from rbp's */
        movq    SLP_SLICES_RESTORE_BUFFER(%rcx), %rbx
        leaq    48(%rbx), %rdi          /* slot up (the 8 bytes below rsp */
        addq    $48, %rsi               /* are in the red zone)           */
        copy_slice %rdi, %rsi, %r10, \wide
.endm

/* resume_from_buffer: installs the FP control words of the frame at rbx if
   they differ from ours (eax, r8d), loads its registers and returns
   `value` (rdx) to whoever pushed it, with rsp at its return address. */
.macro resume_from_buffer
        xorl    (%rbx), %eax
        andl    $MXCSR_CONTROL_BITS, %eax
        xorw    4(%rbx), %r8w
        orw     %r8w, %ax
        jnz     1f                      /* they differ: rare */
2:      movq    %rdx, %rax
        movq    8(%rbx), %r15
        movq    16(%rbx), %r14
        movq    24(%rbx), %r13
        movq    32(%rbx), %r12
        movq    48(%rbx), %rbp
        movq    40(%rbx), %rbx
        .cfi_remember_state
        ret
        .cfi_restore_state
1:      load_fp_control %rbx
        jmp     2b
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
        store_fp_control -16            /* read back below */
        movq    SLP_SLICES_TOP(%rcx), %r9
        movq    %r9, %r10
        subq    %rsp, %r10
        addq    $SLP_FRAME_SIZE-8, %r10 /* r10 = our frames' size */
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
        stmxcsr (%rax)                  /* the new tasklet inherits the */
        fnstcw  4(%rax)                 /* creator's FP control modes   */
        movw    $0, 6(%rax)
        movq    $0, 8(%rax)             /* r15 */
        movq    $0, 16(%rax)            /* r14 */
        movq    %rdx, 24(%rax)          /* r13 = arg */
        movq    %rsi, 32(%rax)          /* r12 = entry */
        movq    $0, 40(%rax)            /* rbx */
        movq    $0, 48(%rax)            /* rbp = 0 */
        leaq    slp_tasklet_trampoline(%rip), %rcx
        movq    %rcx, 56(%rax)
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
