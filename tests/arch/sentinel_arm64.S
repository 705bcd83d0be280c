/* SPDX-License-Identifier: MIT */
/* Test-only: fill every callee-saved register (x19-x29, d8-d15) with a
 * sentinel derived from a seed, call fn(arg) (which switches through other
 * tasklets), then count the registers that no longer hold their sentinel.
 *
 *   unsigned slp_test_sentinel_call(void (*fn)(void *), void *arg,
 *                                   uint64_t seed);      x0, x1, x2
 *
 * Sentinel of register i: seed ^ (0x0101010101010101 * (i + 1)), with x19..
 * x29 as i = 0..10 and d8..d15 as i = 11..18.
 */
#if !defined(__aarch64__)
#error "sentinel_arm64.S is for AArch64 only"
#endif

        .text
        .p2align 4
        .globl  slp_test_sentinel_call
        .type   slp_test_sentinel_call, %function
slp_test_sentinel_call:
        .cfi_startproc
        bti     c
        sub     sp, sp, #176
        .cfi_def_cfa_offset 176
        stp     x19, x20, [sp, #0]
        stp     x21, x22, [sp, #16]
        stp     x23, x24, [sp, #32]
        stp     x25, x26, [sp, #48]
        stp     x27, x28, [sp, #64]
        stp     x29, x30, [sp, #80]
        .cfi_offset x30, -88
        stp     d8, d9, [sp, #96]
        stp     d10, d11, [sp, #112]
        stp     d12, d13, [sp, #128]
        stp     d14, d15, [sp, #144]
        str     x2, [sp, #160]          /* seed */

        mov     x9, x0                  /* x9 = fn */
        mov     x0, x1                  /* x0 = arg */
        movz    x10, #0x0101
        movk    x10, #0x0101, lsl #16
        movk    x10, #0x0101, lsl #32
        movk    x10, #0x0101, lsl #48   /* x10 = K, x11 = running multiple */
        mov     x11, x10
#define FILLX(reg)  eor reg, x2, x11; add x11, x11, x10
#define FILLD(reg)  eor x12, x2, x11; fmov reg, x12; add x11, x11, x10
        FILLX(x19)
        FILLX(x20)
        FILLX(x21)
        FILLX(x22)
        FILLX(x23)
        FILLX(x24)
        FILLX(x25)
        FILLX(x26)
        FILLX(x27)
        FILLX(x28)
        FILLX(x29)
        FILLD(d8)
        FILLD(d9)
        FILLD(d10)
        FILLD(d11)
        FILLD(d12)
        FILLD(d13)
        FILLD(d14)
        FILLD(d15)
        blr     x9

        mov     w0, #0                  /* w0 = registers that changed */
        ldr     x2, [sp, #160]
        movz    x10, #0x0101
        movk    x10, #0x0101, lsl #16
        movk    x10, #0x0101, lsl #32
        movk    x10, #0x0101, lsl #48
        mov     x11, x10
#define CHECKX(reg) eor x12, x2, x11; cmp reg, x12; cinc w0, w0, ne; add x11, x11, x10
#define CHECKD(reg) eor x12, x2, x11; fmov x13, reg; cmp x13, x12; cinc w0, w0, ne; add x11, x11, x10
        CHECKX(x19)
        CHECKX(x20)
        CHECKX(x21)
        CHECKX(x22)
        CHECKX(x23)
        CHECKX(x24)
        CHECKX(x25)
        CHECKX(x26)
        CHECKX(x27)
        CHECKX(x28)
        CHECKX(x29)
        CHECKD(d8)
        CHECKD(d9)
        CHECKD(d10)
        CHECKD(d11)
        CHECKD(d12)
        CHECKD(d13)
        CHECKD(d14)
        CHECKD(d15)

        ldp     x19, x20, [sp, #0]
        ldp     x21, x22, [sp, #16]
        ldp     x23, x24, [sp, #32]
        ldp     x25, x26, [sp, #48]
        ldp     x27, x28, [sp, #64]
        ldp     x29, x30, [sp, #80]
        ldp     d8, d9, [sp, #96]
        ldp     d10, d11, [sp, #112]
        ldp     d12, d13, [sp, #128]
        ldp     d14, d15, [sp, #144]
        add     sp, sp, #176
        .cfi_def_cfa_offset 0
        ret
        .cfi_endproc
        .size   slp_test_sentinel_call, .-slp_test_sentinel_call

        .section .note.GNU-stack,"",%progbits
