// SPDX-License-Identifier: MIT
// slp — compile-time checks that the offsets the assembly uses (the frame
// header of this architecture, and struct slp_slices' offsets in switch.h)
// agree with the C view of the same memory. It emits no code; a port adds
// its architecture's frame here (arch/PORTING.md).
#include <cstddef>

#include "arch/switch.h"

namespace {

static_assert(sizeof(slp_frame) == SLP_FRAME_SIZE,
              "SLP_FRAME_SIZE is the size of struct slp_frame");
static_assert(SLP_FRAME_SIZE % SLP_STACK_ALIGN == 0,
              "the switch frame keeps the stack aligned");

#if defined(__x86_64__)
static_assert(offsetof(slp_frame, mxcsr) == SLP_FRAME_MXCSR);
static_assert(offsetof(slp_frame, x87_cw) == SLP_FRAME_X87_CW);
static_assert(offsetof(slp_frame, padding) == SLP_FRAME_PADDING);
static_assert(offsetof(slp_frame, r15) == SLP_FRAME_R15);
static_assert(offsetof(slp_frame, r14) == SLP_FRAME_R14);
static_assert(offsetof(slp_frame, r13) == SLP_FRAME_R13);
static_assert(offsetof(slp_frame, r12) == SLP_FRAME_R12);
static_assert(offsetof(slp_frame, rbx) == SLP_FRAME_RBX);
static_assert(offsetof(slp_frame, rbp) == SLP_FRAME_RBP);
static_assert(offsetof(slp_frame, return_address) == SLP_FRAME_RETURN);
static_assert(SLP_FRAME_AT_ENTRY == -SLP_FRAME_RETURN,
              "a switch entry's rsp is at the frame's return address");
// sliced_copies copies the save/restore buffers from rbp's slot up in
// 16-byte steps, so that slot must be the last below the return address
// and start a 16-byte-aligned remainder.
static_assert(SLP_FRAME_RBP + 8 == SLP_FRAME_RETURN);
static_assert((SLP_FRAME_SIZE - SLP_FRAME_RBP) % 16 == 0);
// The FP control slot is the frame's first 8 bytes: the pushes reserve it
// with one 8-byte subtraction.
static_assert(SLP_FRAME_MXCSR == 0 && SLP_FRAME_R15 == 8);
static_assert(SLP_MXCSR_CONTROL_BITS == 0xffc0,
              "DAZ, the exception masks, RC and FZ: MXCSR bits 6-15");
#elif defined(__aarch64__)
static_assert(offsetof(slp_frame, x19) == SLP_FRAME_X19);
static_assert(offsetof(slp_frame, x20) == SLP_FRAME_X20);
static_assert(offsetof(slp_frame, x21) == SLP_FRAME_X21);
static_assert(offsetof(slp_frame, x22) == SLP_FRAME_X22);
static_assert(offsetof(slp_frame, x23) == SLP_FRAME_X23);
static_assert(offsetof(slp_frame, x24) == SLP_FRAME_X24);
static_assert(offsetof(slp_frame, x25) == SLP_FRAME_X25);
static_assert(offsetof(slp_frame, x26) == SLP_FRAME_X26);
static_assert(offsetof(slp_frame, x27) == SLP_FRAME_X27);
static_assert(offsetof(slp_frame, x28) == SLP_FRAME_X28);
static_assert(offsetof(slp_frame, x29) == SLP_FRAME_X29);
static_assert(offsetof(slp_frame, x30) == SLP_FRAME_X30);
static_assert(offsetof(slp_frame, d8) == SLP_FRAME_D8);
static_assert(offsetof(slp_frame, d9) == SLP_FRAME_D9);
static_assert(offsetof(slp_frame, d10) == SLP_FRAME_D10);
static_assert(offsetof(slp_frame, d11) == SLP_FRAME_D11);
static_assert(offsetof(slp_frame, d12) == SLP_FRAME_D12);
static_assert(offsetof(slp_frame, d13) == SLP_FRAME_D13);
static_assert(offsetof(slp_frame, d14) == SLP_FRAME_D14);
static_assert(offsetof(slp_frame, d15) == SLP_FRAME_D15);
static_assert(offsetof(slp_frame, fpcr) == SLP_FRAME_FPCR);
static_assert(offsetof(slp_frame, padding) == SLP_FRAME_PADDING);
// Every field is stored and loaded in pairs by stp/ldp, whose offset is a
// multiple of 8 up to 504, from a 16-byte-aligned sp.
static_assert(SLP_FRAME_PADDING <= 504 && SLP_FRAME_X19 % 16 == 0);
#elif defined(__riscv) && __riscv_xlen == 64
static_assert(offsetof(slp_frame, s0) == SLP_FRAME_S0);
static_assert(offsetof(slp_frame, s1) == SLP_FRAME_S1);
static_assert(offsetof(slp_frame, s2) == SLP_FRAME_S2);
static_assert(offsetof(slp_frame, s3) == SLP_FRAME_S3);
static_assert(offsetof(slp_frame, s4) == SLP_FRAME_S4);
static_assert(offsetof(slp_frame, s5) == SLP_FRAME_S5);
static_assert(offsetof(slp_frame, s6) == SLP_FRAME_S6);
static_assert(offsetof(slp_frame, s7) == SLP_FRAME_S7);
static_assert(offsetof(slp_frame, s8) == SLP_FRAME_S8);
static_assert(offsetof(slp_frame, s9) == SLP_FRAME_S9);
static_assert(offsetof(slp_frame, s10) == SLP_FRAME_S10);
static_assert(offsetof(slp_frame, s11) == SLP_FRAME_S11);
static_assert(offsetof(slp_frame, ra) == SLP_FRAME_RA);
static_assert(offsetof(slp_frame, fs0) == SLP_FRAME_FS0);
static_assert(offsetof(slp_frame, fs1) == SLP_FRAME_FS1);
static_assert(offsetof(slp_frame, fs2) == SLP_FRAME_FS2);
static_assert(offsetof(slp_frame, fs3) == SLP_FRAME_FS3);
static_assert(offsetof(slp_frame, fs4) == SLP_FRAME_FS4);
static_assert(offsetof(slp_frame, fs5) == SLP_FRAME_FS5);
static_assert(offsetof(slp_frame, fs6) == SLP_FRAME_FS6);
static_assert(offsetof(slp_frame, fs7) == SLP_FRAME_FS7);
static_assert(offsetof(slp_frame, fs8) == SLP_FRAME_FS8);
static_assert(offsetof(slp_frame, fs9) == SLP_FRAME_FS9);
static_assert(offsetof(slp_frame, fs10) == SLP_FRAME_FS10);
static_assert(offsetof(slp_frame, fs11) == SLP_FRAME_FS11);
static_assert(offsetof(slp_frame, frm) == SLP_FRAME_FRM);
// Every slot is stored and loaded alone by sd/fsd and ld/fld, whose
// signed 12-bit offset reaches 2047; they are 8-byte aligned from a
// 16-byte-aligned sp.
static_assert(SLP_FRAME_FRM <= 2047 && SLP_FRAME_S0 % 8 == 0);
// push_frame moves sp with one addi, whose immediate is as narrow.
static_assert(SLP_FRAME_SIZE <= 2047);
#else
#error "no frame checks for this architecture: see arch/PORTING.md"
#endif

// struct slp_slices, which slp_swap_sliced reads.
static_assert(offsetof(slp_slices, top) == SLP_SLICES_TOP);
static_assert(offsetof(slp_slices, save_buffer) == SLP_SLICES_SAVE_BUFFER);
static_assert(offsetof(slp_slices, save_min) == SLP_SLICES_SAVE_MIN);
static_assert(offsetof(slp_slices, save_max) == SLP_SLICES_SAVE_MAX);
static_assert(offsetof(slp_slices, saved_size) == SLP_SLICES_SAVED_SIZE);
static_assert(offsetof(slp_slices, restore_buffer) ==
              SLP_SLICES_RESTORE_BUFFER);
static_assert(offsetof(slp_slices, wide) == SLP_SLICES_WIDE);

}  // namespace
