/* SPDX-License-Identifier: MIT */
/* slp — the riscv64 switch frame (LP64D): its layout as named offsets, the
 * same layout as a C struct (checked against the offsets in
 * arch/layout_check.cpp), and the gas macros that push, pop and fill it,
 * for the switch (arch/switch_riscv64_lp64d_elf_gas.S).
 *
 * The frame, at the saved stack pointer:
 *
 *   +0   s0 (frame pointer)  SLP_FRAME_S0
 *   +8   s1 ... +88 s11      SLP_FRAME_S1 ... SLP_FRAME_S11
 *   +96  ra                  SLP_FRAME_RA (the return address)
 *   +104 fs0 ... +192 fs11   SLP_FRAME_FS0 ... SLP_FRAME_FS11 (64 bits each)
 *   +200 frm                 SLP_FRAME_FRM (fcsr's rounding mode, bits 0-2)
 *   +208 the caller's frame  (16-byte aligned)
 *
 * 26 slots of 8 bytes make 208, a multiple of 16: the frame needs no
 * padding slot.
 */
#ifndef SLP_ARCH_FRAME_RISCV64_H
#define SLP_ARCH_FRAME_RISCV64_H

#define SLP_FRAME_S0 0
#define SLP_FRAME_S1 8
#define SLP_FRAME_S2 16
#define SLP_FRAME_S3 24
#define SLP_FRAME_S4 32
#define SLP_FRAME_S5 40
#define SLP_FRAME_S6 48
#define SLP_FRAME_S7 56
#define SLP_FRAME_S8 64
#define SLP_FRAME_S9 72
#define SLP_FRAME_S10 80
#define SLP_FRAME_S11 88
#define SLP_FRAME_RA 96
#define SLP_FRAME_FS0 104
#define SLP_FRAME_FS1 112
#define SLP_FRAME_FS2 120
#define SLP_FRAME_FS3 128
#define SLP_FRAME_FS4 136
#define SLP_FRAME_FS5 144
#define SLP_FRAME_FS6 152
#define SLP_FRAME_FS7 160
#define SLP_FRAME_FS8 168
#define SLP_FRAME_FS9 176
#define SLP_FRAME_FS10 184
#define SLP_FRAME_FS11 192
#define SLP_FRAME_FRM 200
#define SLP_FRAME_SIZE 208

#ifdef __ASSEMBLER__
// This is assembly, not C: keep clang-format out.
// clang-format off

/* push_frame stores every slot at its own offset; the offsets must be the
   26 consecutive doublewords above, from s0 at +0 to frm at the top. */
.if SLP_FRAME_S0 != 0 || SLP_FRAME_S1 != SLP_FRAME_S0 + 8 || SLP_FRAME_S2 != SLP_FRAME_S1 + 8 || SLP_FRAME_S3 != SLP_FRAME_S2 + 8 || SLP_FRAME_S4 != SLP_FRAME_S3 + 8 || SLP_FRAME_S5 != SLP_FRAME_S4 + 8 || SLP_FRAME_S6 != SLP_FRAME_S5 + 8 || SLP_FRAME_S7 != SLP_FRAME_S6 + 8 || SLP_FRAME_S8 != SLP_FRAME_S7 + 8 || SLP_FRAME_S9 != SLP_FRAME_S8 + 8 || SLP_FRAME_S10 != SLP_FRAME_S9 + 8 || SLP_FRAME_S11 != SLP_FRAME_S10 + 8 || SLP_FRAME_RA != SLP_FRAME_S11 + 8 || SLP_FRAME_FS0 != SLP_FRAME_RA + 8 || SLP_FRAME_FS1 != SLP_FRAME_FS0 + 8 || SLP_FRAME_FS2 != SLP_FRAME_FS1 + 8 || SLP_FRAME_FS3 != SLP_FRAME_FS2 + 8 || SLP_FRAME_FS4 != SLP_FRAME_FS3 + 8 || SLP_FRAME_FS5 != SLP_FRAME_FS4 + 8 || SLP_FRAME_FS6 != SLP_FRAME_FS5 + 8 || SLP_FRAME_FS7 != SLP_FRAME_FS6 + 8 || SLP_FRAME_FS8 != SLP_FRAME_FS7 + 8 || SLP_FRAME_FS9 != SLP_FRAME_FS8 + 8 || SLP_FRAME_FS10 != SLP_FRAME_FS9 + 8 || SLP_FRAME_FS11 != SLP_FRAME_FS10 + 8 || SLP_FRAME_FRM != SLP_FRAME_FS11 + 8 || SLP_FRAME_SIZE != SLP_FRAME_FRM + 8
.error "frame_riscv64.h: the SLP_FRAME_* offsets are not the consecutive slots push_frame stores"
.endif

/* push_frame frm: pushes the frame described above (CFI included); leaves
   our rounding mode in \frm. */
.macro push_frame frm
        addi    sp, sp, -SLP_FRAME_SIZE
        .cfi_def_cfa_offset SLP_FRAME_SIZE
        sd      s0, SLP_FRAME_S0(sp)
        .cfi_offset s0, SLP_FRAME_S0 - SLP_FRAME_SIZE
        sd      s1, SLP_FRAME_S1(sp)
        .cfi_offset s1, SLP_FRAME_S1 - SLP_FRAME_SIZE
        sd      s2, SLP_FRAME_S2(sp)
        .cfi_offset s2, SLP_FRAME_S2 - SLP_FRAME_SIZE
        sd      s3, SLP_FRAME_S3(sp)
        .cfi_offset s3, SLP_FRAME_S3 - SLP_FRAME_SIZE
        sd      s4, SLP_FRAME_S4(sp)
        .cfi_offset s4, SLP_FRAME_S4 - SLP_FRAME_SIZE
        sd      s5, SLP_FRAME_S5(sp)
        .cfi_offset s5, SLP_FRAME_S5 - SLP_FRAME_SIZE
        sd      s6, SLP_FRAME_S6(sp)
        .cfi_offset s6, SLP_FRAME_S6 - SLP_FRAME_SIZE
        sd      s7, SLP_FRAME_S7(sp)
        .cfi_offset s7, SLP_FRAME_S7 - SLP_FRAME_SIZE
        sd      s8, SLP_FRAME_S8(sp)
        .cfi_offset s8, SLP_FRAME_S8 - SLP_FRAME_SIZE
        sd      s9, SLP_FRAME_S9(sp)
        .cfi_offset s9, SLP_FRAME_S9 - SLP_FRAME_SIZE
        sd      s10, SLP_FRAME_S10(sp)
        .cfi_offset s10, SLP_FRAME_S10 - SLP_FRAME_SIZE
        sd      s11, SLP_FRAME_S11(sp)
        .cfi_offset s11, SLP_FRAME_S11 - SLP_FRAME_SIZE
        sd      ra, SLP_FRAME_RA(sp)
        .cfi_offset ra, SLP_FRAME_RA - SLP_FRAME_SIZE
        fsd     fs0, SLP_FRAME_FS0(sp)
        .cfi_offset fs0, SLP_FRAME_FS0 - SLP_FRAME_SIZE
        fsd     fs1, SLP_FRAME_FS1(sp)
        .cfi_offset fs1, SLP_FRAME_FS1 - SLP_FRAME_SIZE
        fsd     fs2, SLP_FRAME_FS2(sp)
        .cfi_offset fs2, SLP_FRAME_FS2 - SLP_FRAME_SIZE
        fsd     fs3, SLP_FRAME_FS3(sp)
        .cfi_offset fs3, SLP_FRAME_FS3 - SLP_FRAME_SIZE
        fsd     fs4, SLP_FRAME_FS4(sp)
        .cfi_offset fs4, SLP_FRAME_FS4 - SLP_FRAME_SIZE
        fsd     fs5, SLP_FRAME_FS5(sp)
        .cfi_offset fs5, SLP_FRAME_FS5 - SLP_FRAME_SIZE
        fsd     fs6, SLP_FRAME_FS6(sp)
        .cfi_offset fs6, SLP_FRAME_FS6 - SLP_FRAME_SIZE
        fsd     fs7, SLP_FRAME_FS7(sp)
        .cfi_offset fs7, SLP_FRAME_FS7 - SLP_FRAME_SIZE
        fsd     fs8, SLP_FRAME_FS8(sp)
        .cfi_offset fs8, SLP_FRAME_FS8 - SLP_FRAME_SIZE
        fsd     fs9, SLP_FRAME_FS9(sp)
        .cfi_offset fs9, SLP_FRAME_FS9 - SLP_FRAME_SIZE
        fsd     fs10, SLP_FRAME_FS10(sp)
        .cfi_offset fs10, SLP_FRAME_FS10 - SLP_FRAME_SIZE
        fsd     fs11, SLP_FRAME_FS11(sp)
        .cfi_offset fs11, SLP_FRAME_FS11 - SLP_FRAME_SIZE
        store_fp_control \frm
.endm

/* pop_frame_and_return value: pops the frame at sp and returns \value to
   whoever pushed it. Brackets itself with .cfi_remember_state /
   .cfi_restore_state, so code after it has the pushed frame's CFI.
   \value must not be a register the frame holds. */
.macro pop_frame_and_return value
        .cfi_remember_state
.ifnc \value, a0
        mv      a0, \value
.endif
        fld     fs0, SLP_FRAME_FS0(sp)
        fld     fs1, SLP_FRAME_FS1(sp)
        fld     fs2, SLP_FRAME_FS2(sp)
        fld     fs3, SLP_FRAME_FS3(sp)
        fld     fs4, SLP_FRAME_FS4(sp)
        fld     fs5, SLP_FRAME_FS5(sp)
        fld     fs6, SLP_FRAME_FS6(sp)
        fld     fs7, SLP_FRAME_FS7(sp)
        fld     fs8, SLP_FRAME_FS8(sp)
        fld     fs9, SLP_FRAME_FS9(sp)
        fld     fs10, SLP_FRAME_FS10(sp)
        fld     fs11, SLP_FRAME_FS11(sp)
        ld      s0, SLP_FRAME_S0(sp)
        ld      s1, SLP_FRAME_S1(sp)
        ld      s2, SLP_FRAME_S2(sp)
        ld      s3, SLP_FRAME_S3(sp)
        ld      s4, SLP_FRAME_S4(sp)
        ld      s5, SLP_FRAME_S5(sp)
        ld      s6, SLP_FRAME_S6(sp)
        ld      s7, SLP_FRAME_S7(sp)
        ld      s8, SLP_FRAME_S8(sp)
        ld      s9, SLP_FRAME_S9(sp)
        ld      s10, SLP_FRAME_S10(sp)
        ld      s11, SLP_FRAME_S11(sp)
        ld      ra, SLP_FRAME_RA(sp)
        addi    sp, sp, SLP_FRAME_SIZE
        .cfi_def_cfa_offset 0
        .cfi_restore s0
        .cfi_restore s1
        .cfi_restore s2
        .cfi_restore s3
        .cfi_restore s4
        .cfi_restore s5
        .cfi_restore s6
        .cfi_restore s7
        .cfi_restore s8
        .cfi_restore s9
        .cfi_restore s10
        .cfi_restore s11
        .cfi_restore ra
        .cfi_restore fs0
        .cfi_restore fs1
        .cfi_restore fs2
        .cfi_restore fs3
        .cfi_restore fs4
        .cfi_restore fs5
        .cfi_restore fs6
        .cfi_restore fs7
        .cfi_restore fs8
        .cfi_restore fs9
        .cfi_restore fs10
        .cfi_restore fs11
        ret
        .cfi_restore_state
.endm

/* The FP control state of a frame: the rounding mode, frm (fcsr bits 5-7,
 * read and written alone by frrm/fsrm). The accrued exception flags,
 * fflags (fcsr bits 0-4), are not part of it: they stay live across a
 * switch (arch/README.md says why). A switch stores ours and installs the
 * target's only when it differs (a CSR write may serialise the pipeline):
 *
 *   store_fp_control frm         \frm = the live rounding mode, also stored
 *                                into the slot of the frame at sp;
 *   install_fp_control_then ours, continuation...
 *                                installs the rounding mode of the frame
 *                                at sp if it differs from \ours, then runs
 *                                \continuation, which must not come back.
 *                                Uses t0.
 */
.macro store_fp_control frm
        frrm    \frm
        sd      \frm, SLP_FRAME_FRM(sp)
.endm

.macro install_fp_control_then ours, continuation:vararg
        ld      t0, SLP_FRAME_FRM(sp)
        bne     t0, \ours, 1f           /* differs: rare */
2:      \continuation
1:      fsrm    t0                      /* frm only: fflags stay live */
        j       2b
.endm

// clang-format on
#else /* C and C++ */

#include <stdint.h>

/* slp_frame: the frame as C sees it. Nothing in core/ reads its fields but
   the ones a backtrace starts from; it exists so that arch/layout_check.cpp
   can check the offsets above. */
struct slp_frame {
  uint64_t s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11;
  uint64_t ra;
  uint64_t fs0, fs1, fs2, fs3, fs4, fs5, fs6, fs7, fs8, fs9, fs10, fs11;
  uint64_t frm;
};

#endif /* __ASSEMBLER__ */

#endif /* SLP_ARCH_FRAME_RISCV64_H */
