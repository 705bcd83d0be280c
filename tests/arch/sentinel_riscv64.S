/* SPDX-License-Identifier: MIT */
/* Test-only: fill every callee-saved register (s0-s11, fs0-fs11) with a
 * sentinel derived from a seed, call fn(arg) (which switches through other
 * tasklets), then count the registers that no longer hold their sentinel.
 *
 *   unsigned slp_test_sentinel_call(void (*fn)(void *), void *arg,
 *                                   uint64_t seed);      a0, a1, a2
 *
 * Sentinel of register i: seed ^ (0x0101010101010101 * (i + 1)), with s0..
 * s11 as i = 0..11 and fs0..fs11 as i = 12..23.
 *
 * The caller's registers are saved here by hand, not with
 * arch/frame_riscv64.h's macros, which this test checks. Frame (224
 * bytes): +0 s0 ... +88 s11, +96 ra, +104 fs0 ... +192 fs11, +200 seed.
 * riscv64 has no landing pad to start with.
 */
#if !(defined(__riscv) && __riscv_xlen == 64)
#error "sentinel_riscv64.S is for riscv64 only"
#endif

        .text
        .p2align 4
        .globl  slp_test_sentinel_call
        .type   slp_test_sentinel_call, %function
slp_test_sentinel_call:
        .cfi_startproc
        addi    sp, sp, -224
        .cfi_def_cfa_offset 224
        sd      s0, 0(sp)
        .cfi_offset s0, -224
        sd      s1, 8(sp)
        .cfi_offset s1, -216
        sd      s2, 16(sp)
        .cfi_offset s2, -208
        sd      s3, 24(sp)
        .cfi_offset s3, -200
        sd      s4, 32(sp)
        .cfi_offset s4, -192
        sd      s5, 40(sp)
        .cfi_offset s5, -184
        sd      s6, 48(sp)
        .cfi_offset s6, -176
        sd      s7, 56(sp)
        .cfi_offset s7, -168
        sd      s8, 64(sp)
        .cfi_offset s8, -160
        sd      s9, 72(sp)
        .cfi_offset s9, -152
        sd      s10, 80(sp)
        .cfi_offset s10, -144
        sd      s11, 88(sp)
        .cfi_offset s11, -136
        sd      ra, 96(sp)
        .cfi_offset ra, -128
        fsd     fs0, 104(sp)
        .cfi_offset fs0, -120
        fsd     fs1, 112(sp)
        .cfi_offset fs1, -112
        fsd     fs2, 120(sp)
        .cfi_offset fs2, -104
        fsd     fs3, 128(sp)
        .cfi_offset fs3, -96
        fsd     fs4, 136(sp)
        .cfi_offset fs4, -88
        fsd     fs5, 144(sp)
        .cfi_offset fs5, -80
        fsd     fs6, 152(sp)
        .cfi_offset fs6, -72
        fsd     fs7, 160(sp)
        .cfi_offset fs7, -64
        fsd     fs8, 168(sp)
        .cfi_offset fs8, -56
        fsd     fs9, 176(sp)
        .cfi_offset fs9, -48
        fsd     fs10, 184(sp)
        .cfi_offset fs10, -40
        fsd     fs11, 192(sp)
        .cfi_offset fs11, -32
        sd      a2, 200(sp)             /* seed */

        mv      t0, a0                  /* t0 = fn */
        mv      a0, a1                  /* a0 = arg */
        li      t1, 0x0101010101010101  /* t1 = K, t2 = running multiple */
        mv      t2, t1
#define FILLS(reg)  xor reg, a2, t2; add t2, t2, t1
#define FILLF(reg)  xor t3, a2, t2; fmv.d.x reg, t3; add t2, t2, t1
        FILLS(s0)
        FILLS(s1)
        FILLS(s2)
        FILLS(s3)
        FILLS(s4)
        FILLS(s5)
        FILLS(s6)
        FILLS(s7)
        FILLS(s8)
        FILLS(s9)
        FILLS(s10)
        FILLS(s11)
        FILLF(fs0)
        FILLF(fs1)
        FILLF(fs2)
        FILLF(fs3)
        FILLF(fs4)
        FILLF(fs5)
        FILLF(fs6)
        FILLF(fs7)
        FILLF(fs8)
        FILLF(fs9)
        FILLF(fs10)
        FILLF(fs11)
        jalr    t0

        li      a0, 0                   /* a0 = registers that changed */
        ld      a2, 200(sp)
        li      t1, 0x0101010101010101
        mv      t2, t1
#define CHECKS(reg) xor t3, a2, t2; xor t3, t3, reg; snez t3, t3; add a0, a0, t3; add t2, t2, t1
#define CHECKF(reg) xor t3, a2, t2; fmv.x.d t4, reg; xor t3, t3, t4; snez t3, t3; add a0, a0, t3; add t2, t2, t1
        CHECKS(s0)
        CHECKS(s1)
        CHECKS(s2)
        CHECKS(s3)
        CHECKS(s4)
        CHECKS(s5)
        CHECKS(s6)
        CHECKS(s7)
        CHECKS(s8)
        CHECKS(s9)
        CHECKS(s10)
        CHECKS(s11)
        CHECKF(fs0)
        CHECKF(fs1)
        CHECKF(fs2)
        CHECKF(fs3)
        CHECKF(fs4)
        CHECKF(fs5)
        CHECKF(fs6)
        CHECKF(fs7)
        CHECKF(fs8)
        CHECKF(fs9)
        CHECKF(fs10)
        CHECKF(fs11)

        ld      s0, 0(sp)
        ld      s1, 8(sp)
        ld      s2, 16(sp)
        ld      s3, 24(sp)
        ld      s4, 32(sp)
        ld      s5, 40(sp)
        ld      s6, 48(sp)
        ld      s7, 56(sp)
        ld      s8, 64(sp)
        ld      s9, 72(sp)
        ld      s10, 80(sp)
        ld      s11, 88(sp)
        ld      ra, 96(sp)
        fld     fs0, 104(sp)
        fld     fs1, 112(sp)
        fld     fs2, 120(sp)
        fld     fs3, 128(sp)
        fld     fs4, 136(sp)
        fld     fs5, 144(sp)
        fld     fs6, 152(sp)
        fld     fs7, 160(sp)
        fld     fs8, 168(sp)
        fld     fs9, 176(sp)
        fld     fs10, 184(sp)
        fld     fs11, 192(sp)
        addi    sp, sp, 224
        .cfi_def_cfa_offset 0
        ret
        .cfi_endproc
        .size   slp_test_sentinel_call, .-slp_test_sentinel_call

        .section .note.GNU-stack,"",%progbits
