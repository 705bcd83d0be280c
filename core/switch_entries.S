/* slp — the thunks in front of the entry points that switch most often
 * (include/slp/switch_entry.hpp says why; arch/asm_macros.h has the thunk).
 * Each `slp_entry_X` is the symbol the public header declares; it calls
 * `slp_body_X`, the C++ body in core/ (core/switch_entries.hpp). A
 * signature that changes on one side only fails to link or to compile. */
#include "arch/asm_macros.h"

SLP_SWITCH_ENTRY_THUNK(slp_entry_schedule, slp_body_schedule)
SLP_SWITCH_ENTRY_THUNK(slp_entry_schedule_remove, slp_body_schedule_remove)
SLP_SWITCH_ENTRY_THUNK(slp_entry_channel_send, slp_body_channel_send)
SLP_SWITCH_ENTRY_THUNK(slp_entry_channel_receive, slp_body_channel_receive)

SLP_GNU_PROPERTY_NOTE
SLP_NOTE_GNU_STACK
