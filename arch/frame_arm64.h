/* SPDX-License-Identifier: MIT */
/* slp — the AArch64 switch frame: its layout as named offsets, the same
 * layout as a C struct (checked against the offsets in arch/layout_check.cpp),
 * and the gas macros that push, pop and fill it, for the switch
 * (arch/switch_arm64_aapcs_elf_gas.S).
 *
 * The frame, at the saved stack pointer:
 *
 *   +0   x19  x20            SLP_FRAME_X19 ... SLP_FRAME_X28: pairs
 *   +16  x21  x22
 *   +32  x23  x24
 *   +48  x25  x26
 *   +64  x27  x28
 *   +80  x29  x30            SLP_FRAME_X29, SLP_FRAME_X30 (the return
 *                            address, PAC-signed with the sp of +176)
 *   +96  d8   d9             SLP_FRAME_D8 ... SLP_FRAME_D15: pairs
 *   +112 d10  d11
 *   +128 d12  d13
 *   +144 d14  d15
 *   +160 FPCR padding        SLP_FRAME_FPCR, SLP_FRAME_PADDING
 *   +176 the caller's frame  (16-byte aligned)
 */
#ifndef SLP_ARCH_FRAME_ARM64_H
#define SLP_ARCH_FRAME_ARM64_H

#define SLP_FRAME_X19 0
#define SLP_FRAME_X20 8
#define SLP_FRAME_X21 16
#define SLP_FRAME_X22 24
#define SLP_FRAME_X23 32
#define SLP_FRAME_X24 40
#define SLP_FRAME_X25 48
#define SLP_FRAME_X26 56
#define SLP_FRAME_X27 64
#define SLP_FRAME_X28 72
#define SLP_FRAME_X29 80
#define SLP_FRAME_X30 88
#define SLP_FRAME_D8 96
#define SLP_FRAME_D9 104
#define SLP_FRAME_D10 112
#define SLP_FRAME_D11 120
#define SLP_FRAME_D12 128
#define SLP_FRAME_D13 136
#define SLP_FRAME_D14 144
#define SLP_FRAME_D15 152
#define SLP_FRAME_FPCR 160
#define SLP_FRAME_PADDING 168
#define SLP_FRAME_SIZE 176

#ifdef __ASSEMBLER__
// This is assembly, not C: keep clang-format out.
// clang-format off

/* Each stp/ldp below moves a register pair into two adjacent slots. */
.if SLP_FRAME_X20 != SLP_FRAME_X19 + 8 || SLP_FRAME_X22 != SLP_FRAME_X21 + 8 || SLP_FRAME_X24 != SLP_FRAME_X23 + 8 || SLP_FRAME_X26 != SLP_FRAME_X25 + 8 || SLP_FRAME_X28 != SLP_FRAME_X27 + 8 || SLP_FRAME_X30 != SLP_FRAME_X29 + 8
.error "frame_arm64.h: the SLP_FRAME_X* offsets are not in pairs"
.endif
.if SLP_FRAME_D9 != SLP_FRAME_D8 + 8 || SLP_FRAME_D11 != SLP_FRAME_D10 + 8 || SLP_FRAME_D13 != SLP_FRAME_D12 + 8 || SLP_FRAME_D15 != SLP_FRAME_D14 + 8 || SLP_FRAME_PADDING != SLP_FRAME_FPCR + 8
.error "frame_arm64.h: the SLP_FRAME_D* offsets are not in pairs"
.endif

#define SLP_PACIASP    hint #25     /* sign x30 with sp */
#define SLP_AUTIASP    hint #29     /* authenticate x30 with sp */
#define SLP_PACIA1716  hint #8      /* sign x17 with x16 */

/* push_frame fpcr: signs x30 and pushes the frame described above (CFI
   included); leaves our FPCR in \fpcr. */
.macro push_frame fpcr
        SLP_PACIASP
        .cfi_negate_ra_state
        sub     sp, sp, #SLP_FRAME_SIZE
        .cfi_def_cfa_offset SLP_FRAME_SIZE
        stp     x19, x20, [sp, #SLP_FRAME_X19]
        .cfi_offset x19, SLP_FRAME_X19 - SLP_FRAME_SIZE
        .cfi_offset x20, SLP_FRAME_X20 - SLP_FRAME_SIZE
        stp     x21, x22, [sp, #SLP_FRAME_X21]
        .cfi_offset x21, SLP_FRAME_X21 - SLP_FRAME_SIZE
        .cfi_offset x22, SLP_FRAME_X22 - SLP_FRAME_SIZE
        stp     x23, x24, [sp, #SLP_FRAME_X23]
        .cfi_offset x23, SLP_FRAME_X23 - SLP_FRAME_SIZE
        .cfi_offset x24, SLP_FRAME_X24 - SLP_FRAME_SIZE
        stp     x25, x26, [sp, #SLP_FRAME_X25]
        .cfi_offset x25, SLP_FRAME_X25 - SLP_FRAME_SIZE
        .cfi_offset x26, SLP_FRAME_X26 - SLP_FRAME_SIZE
        stp     x27, x28, [sp, #SLP_FRAME_X27]
        .cfi_offset x27, SLP_FRAME_X27 - SLP_FRAME_SIZE
        .cfi_offset x28, SLP_FRAME_X28 - SLP_FRAME_SIZE
        stp     x29, x30, [sp, #SLP_FRAME_X29]
        .cfi_offset x29, SLP_FRAME_X29 - SLP_FRAME_SIZE
        .cfi_offset x30, SLP_FRAME_X30 - SLP_FRAME_SIZE
        stp     d8, d9, [sp, #SLP_FRAME_D8]
        .cfi_offset d8, SLP_FRAME_D8 - SLP_FRAME_SIZE
        .cfi_offset d9, SLP_FRAME_D9 - SLP_FRAME_SIZE
        stp     d10, d11, [sp, #SLP_FRAME_D10]
        .cfi_offset d10, SLP_FRAME_D10 - SLP_FRAME_SIZE
        .cfi_offset d11, SLP_FRAME_D11 - SLP_FRAME_SIZE
        stp     d12, d13, [sp, #SLP_FRAME_D12]
        .cfi_offset d12, SLP_FRAME_D12 - SLP_FRAME_SIZE
        .cfi_offset d13, SLP_FRAME_D13 - SLP_FRAME_SIZE
        stp     d14, d15, [sp, #SLP_FRAME_D14]
        .cfi_offset d14, SLP_FRAME_D14 - SLP_FRAME_SIZE
        .cfi_offset d15, SLP_FRAME_D15 - SLP_FRAME_SIZE
        store_fp_control \fpcr
.endm

/* pop_frame_and_return value: pops the frame at sp, authenticates its x30
   and returns \value to whoever pushed it. Brackets itself with
   .cfi_remember_state/.cfi_restore_state, so code after it has the pushed
   frame's CFI. */
.macro pop_frame_and_return value
        .cfi_remember_state
.ifnc \value, x0
        mov     x0, \value
.endif
        ldp     d14, d15, [sp, #SLP_FRAME_D14]
        ldp     d12, d13, [sp, #SLP_FRAME_D12]
        ldp     d10, d11, [sp, #SLP_FRAME_D10]
        ldp     d8, d9, [sp, #SLP_FRAME_D8]
        ldp     x29, x30, [sp, #SLP_FRAME_X29]
        ldp     x27, x28, [sp, #SLP_FRAME_X27]
        ldp     x25, x26, [sp, #SLP_FRAME_X25]
        ldp     x23, x24, [sp, #SLP_FRAME_X23]
        ldp     x21, x22, [sp, #SLP_FRAME_X21]
        ldp     x19, x20, [sp, #SLP_FRAME_X19]
        add     sp, sp, #SLP_FRAME_SIZE
        .cfi_def_cfa_offset 0
        .cfi_restore x19
        .cfi_restore x20
        .cfi_restore x21
        .cfi_restore x22
        .cfi_restore x23
        .cfi_restore x24
        .cfi_restore x25
        .cfi_restore x26
        .cfi_restore x27
        .cfi_restore x28
        .cfi_restore x29
        .cfi_restore x30
        .cfi_restore d8
        .cfi_restore d9
        .cfi_restore d10
        .cfi_restore d11
        .cfi_restore d12
        .cfi_restore d13
        .cfi_restore d14
        .cfi_restore d15
        SLP_AUTIASP                     /* authenticate the target's x30 */
        ret
        .cfi_restore_state
.endm

/* The FP control state of a frame: FPCR (rounding, FZ, DN, AHP). A switch
 * stores ours and installs the target's only when it differs (an FPCR
 * write may serialise the pipeline):
 *
 *   store_fp_control fpcr        \fpcr = the live FPCR, also stored into
 *                                the slot of the frame at sp;
 *   install_fp_control_then ours, continuation...
 *                                installs the FPCR of the frame at sp if
 *                                it differs from \ours, then runs
 *                                \continuation, which must not come back.
 *                                Uses x9.
 */
.macro store_fp_control fpcr
        mrs     \fpcr, fpcr
        str     \fpcr, [sp, #SLP_FRAME_FPCR]
.endm

.macro install_fp_control_then ours, continuation:vararg
        ldr     x9, [sp, #SLP_FRAME_FPCR]
        cmp     x9, \ours
        b.ne    1f                      /* differs: rare */
2:      \continuation
1:      msr     fpcr, x9
        b       2b
.endm

// clang-format on
#else /* C and C++ */

#include <stdint.h>

/* slp_frame: the frame as C sees it. Nothing in core/ reads its fields;
   it exists so that arch/layout_check.cpp can check the offsets above. */
struct slp_frame {
  uint64_t x19, x20, x21, x22, x23, x24, x25, x26, x27, x28;
  uint64_t x29, x30;
  uint64_t d8, d9, d10, d11, d12, d13, d14, d15; /* their low 64 bits */
  uint64_t fpcr;
  uint64_t padding;
};

#endif /* __ASSEMBLER__ */

#endif /* SLP_ARCH_FRAME_ARM64_H */
