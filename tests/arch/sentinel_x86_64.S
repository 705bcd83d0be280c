/* SPDX-License-Identifier: MIT */
/* Test-only: fill every callee-saved register with a sentinel derived from
 * a seed, call fn(arg) (which switches through other tasklets), then count
 * the registers that no longer hold their sentinel.
 *
 *   unsigned slp_test_sentinel_call(void (*fn)(void *), void *arg,
 *                                   uint64_t seed);      rdi, rsi, rdx
 *
 * Sentinel of register i: seed ^ (0x0101010101010101 * (i + 1)).
 * Frame: 6 pushes of the caller's registers, then [rsp] = seed.
 * The pushes are written out here rather than taken from
 * arch/frame_x86_64.h on purpose: this file checks what the switch built
 * from those macros preserves, so it must not share a mistake with it.
 */
#if !defined(__x86_64__)
#error "sentinel_x86_64.S is for x86-64 only"
#endif

#define K(i) (0x0101010101010101 * (i))

        .text
        .p2align 4
        .globl  slp_test_sentinel_call
        .type   slp_test_sentinel_call, %function
slp_test_sentinel_call:
        .cfi_startproc
        endbr64
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
        subq    $8, %rsp                /* [rsp] = seed; rsp is 16-aligned */
        .cfi_adjust_cfa_offset 8
        movq    %rdx, (%rsp)
        movq    %rdi, %rax              /* rax = fn */
        movq    %rsi, %rdi              /* rdi = arg */

        movabsq $K(1), %rbx
        xorq    %rdx, %rbx
        movabsq $K(2), %rbp
        xorq    %rdx, %rbp
        movabsq $K(3), %r12
        xorq    %rdx, %r12
        movabsq $K(4), %r13
        xorq    %rdx, %r13
        movabsq $K(5), %r14
        xorq    %rdx, %r14
        movabsq $K(6), %r15
        xorq    %rdx, %r15
        call    *%rax

        xorl    %eax, %eax              /* eax = registers that changed */
        movq    (%rsp), %rdx
#define CHECK(reg, i)          \
        movabsq $K(i), %rcx;   \
        xorq    %rdx, %rcx;    \
        cmpq    %rcx, reg;     \
        setne   %cl;           \
        movzbl  %cl, %ecx;     \
        addl    %ecx, %eax
        CHECK(%rbx, 1)
        CHECK(%rbp, 2)
        CHECK(%r12, 3)
        CHECK(%r13, 4)
        CHECK(%r14, 5)
        CHECK(%r15, 6)

        addq    $8, %rsp
        .cfi_adjust_cfa_offset -8
        popq    %r15
        .cfi_adjust_cfa_offset -8
        popq    %r14
        .cfi_adjust_cfa_offset -8
        popq    %r13
        .cfi_adjust_cfa_offset -8
        popq    %r12
        .cfi_adjust_cfa_offset -8
        popq    %rbx
        .cfi_adjust_cfa_offset -8
        popq    %rbp
        .cfi_adjust_cfa_offset -8
        ret
        .cfi_endproc
        .size   slp_test_sentinel_call, .-slp_test_sentinel_call

        .section .note.GNU-stack,"",%progbits
