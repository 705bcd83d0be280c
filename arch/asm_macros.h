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
#endif

/* SLP_SWITCH_ENTRY_THUNK(entry, body): a public function `entry` that calls
 * `body` with its arguments and results untouched and returns to its caller
 * -- by `ret` if no switch happened inside (slp_switch_count, a per-thread
 * count of switches, is unchanged), else by an indirect jump. After a switch
 * the return-stack predictor holds the other tasklet's return address, so
 * `ret` would mispredict wherever the two tasklets called from different
 * places; the jump is predicted from the branch history instead. It leaves
 * one stale return-stack entry per switch, which only the circular predictor
 * sees. Stack arguments are not supported (the thunk moves the stack). */
#if defined(__x86_64__)
#define SLP_SWITCH_ENTRY_THUNK(entry, body)                  \
  SLP_PUBLIC_FUNCTION(entry);                                \
  endbr64;                                                   \
  pushq %rbx;                                                \
  .cfi_adjust_cfa_offset 8;                                  \
  .cfi_rel_offset %rbx, 0;                                   \
  movq slp_switch_count@gottpoff(%rip), %rbx;                \
  movq %fs:(%rbx), %rbx;          /* switches so far */      \
  call body@PLT;                                             \
  movq slp_switch_count@gottpoff(%rip), %rcx;                \
  cmpq %fs:(%rcx), %rbx;                                     \
  popq %rbx;                                                 \
  .cfi_adjust_cfa_offset -8;                                 \
  .cfi_restore %rbx;                                         \
  jne 1f;                                                    \
  ret;                            /* no switch: predicted */ \
1:;                                                          \
  popq %rcx;                                                 \
  .cfi_adjust_cfa_offset -8;                                 \
  .cfi_register %rip, %rcx;                                  \
  notrack jmp *%rcx;  /* a return address has no endbr64 */  \
  SLP_END(entry)
#elif defined(__aarch64__)
/* AArch64 returns with a plain branch to the body: returning by `br` would
 * need a BTI landing pad at every return address, which BTI code lacks. */
#define SLP_SWITCH_ENTRY_THUNK(entry, body) \
  SLP_PUBLIC_FUNCTION(entry);               \
  bti c;                                    \
  b body;                                   \
  SLP_END(entry)
#endif

/* The .note.gnu.property section: 4-byte name "GNU", one property. */
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

/* The stack is never executable. */
#define SLP_NOTE_GNU_STACK .section .note.GNU-stack, "", %progbits

#endif /* SLP_ARCH_ASM_MACROS_H */
