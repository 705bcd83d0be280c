/* SPDX-License-Identifier: MIT */
/* slp — macros shared by the .S files: symbol boilerplate, landing pads and
 * the GNU property note. Include only from assembly. */
// This is assembly, not C: keep clang-format out.
// clang-format off
#ifndef SLP_ARCH_ASM_MACROS_H
#define SLP_ARCH_ASM_MACROS_H

#ifndef __ASSEMBLER__
#error "asm_macros.h is for assembly files only"
#endif

/* SLP_PUBLIC_FUNCTION(name) ... SLP_END(name): a typed, sized global with
 * its CFI range. The body must start with the architecture's landing pad.
 * SLP_FUNCTION(name): the same, hidden outside the library. */
#define SLP_FUNCTION(name) \
  .hidden name;            \
  SLP_PUBLIC_FUNCTION(name)
#define SLP_PUBLIC_FUNCTION(name) \
  .text;                          \
  .p2align 4;                     \
  .globl name;                    \
  .type name, %function;          \
  name:                           \
  .cfi_startproc
#define SLP_END(name) \
  .cfi_endproc;       \
  .size name, . - name

#if defined(__x86_64__)
#define SLP_LANDING_PAD endbr64
/* GNU_PROPERTY_X86_FEATURE_1_AND = IBT only. Every indirect-branch target
 * here starts with endbr64. SHSTK is deliberately NOT claimed: a shadow
 * stack cannot follow stack slices that are copied to the heap and back. */
#define SLP_GNU_PROPERTY_TYPE 0xc0000002
#define SLP_GNU_PROPERTY_BITS 0x1
#elif defined(__aarch64__)
#define SLP_LANDING_PAD bti c
/* GNU_PROPERTY_AARCH64_FEATURE_1_AND = BTI | PAC: every global entry starts
 * with `bti c`, and the saved return address is signed with PAC. */
#define SLP_GNU_PROPERTY_TYPE 0xc0000000
#define SLP_GNU_PROPERTY_BITS 0x3
#elif defined(__riscv) && __riscv_xlen == 64
/* rv64gc has no landing pads, and nothing here is claimed: the Zicfilp
 * `lpad` is not used, and a Zicfiss shadow stack cannot follow stack
 * slices that are copied to the heap and back. No property, no note. */
#define SLP_LANDING_PAD
#define SLP_GNU_PROPERTY_NOTE
#else
#error "asm_macros.h: no landing pad or GNU property for this architecture (arch/PORTING.md)"
#endif

/* The .note.gnu.property section: 4-byte name "GNU", one property (none
 * where the target claims nothing). */
#if !defined(SLP_GNU_PROPERTY_NOTE)
#define SLP_GNU_PROPERTY_NOTE                                     \
  .pushsection .note.gnu.property, "a";                           \
  .p2align 3;                                                     \
  .long 4;                          /* name size              */  \
  .long 16;                         /* descriptor size        */  \
  .long 5;                          /* NT_GNU_PROPERTY_TYPE_0 */  \
  .asciz "GNU";                                                   \
  .long SLP_GNU_PROPERTY_TYPE;      /* property type          */  \
  .long 4;                          /* property data size     */  \
  .long SLP_GNU_PROPERTY_BITS;      /* feature bits           */  \
  .p2align 3;                                                     \
  .popsection
#endif

/* The stack is never executable. */
#define SLP_NOTE_GNU_STACK .section .note.GNU-stack, "", %progbits

#endif /* SLP_ARCH_ASM_MACROS_H */
