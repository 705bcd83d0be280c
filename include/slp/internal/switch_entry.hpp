// SPDX-License-Identifier: MIT
// slp internals — how the entry points that switch are named (not part of
// the API: the public headers include it for their first declarations).
//
// A switch returns into another tasklet than the one that called it. A
// plain `ret` there is predicted from the caller's return-stack entry and
// mispredicts whenever the two tasklets called from different places.
// So the functions that switch most
// often -- schedule(), schedule_remove(), a channel's send and receive --
// are reached through a small thunk in arch/switch_entries.S that returns
// by an indirect jump (predicted from the branch history) when a switch
// happened, and by `ret` when none did. The thunk carries the symbol named
// here; the C++ body is named by SLP_SWITCH_ENTRY_BODY in core/.
// docs/DESIGN.md, "Returning from a switch", says why; BM_SlpAsmSwapOneSite
// against BM_SlpAsmSwap (switch_bench) shows the cost of a mispredicted
// return.
#ifndef SLP_INTERNAL_SWITCH_ENTRY_HPP
#define SLP_INTERNAL_SWITCH_ENTRY_HPP

#define SLP_SWITCH_ENTRY(name) __asm__("slp_entry_" #name)

#endif  // SLP_INTERNAL_SWITCH_ENTRY_HPP
