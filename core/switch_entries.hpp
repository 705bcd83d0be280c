// SPDX-License-Identifier: MIT
// slp — the C++ bodies behind the switch-entry thunks of
// arch/switch_entries.S (which says why they exist): the seam core/
// implements. Each body has the signature of the public function whose
// thunk calls it; the thunk names it `slp_body_<name>`.
#ifndef SLP_CORE_SWITCH_ENTRIES_HPP
#define SLP_CORE_SWITCH_ENTRIES_HPP

#include <exception>

#include "slp/channel.hpp"

#define SLP_SWITCH_ENTRY_BODY(name) __asm__("slp_body_" #name)

namespace slp::core {

void schedule_body() SLP_SWITCH_ENTRY_BODY(schedule);
void schedule_remove_body() SLP_SWITCH_ENTRY_BODY(schedule_remove);
void channel_send_body(channel_state& ch, const detail::value_ops& ops,
                       void* value, const std::exception_ptr* exception)
    SLP_SWITCH_ENTRY_BODY(channel_send);
void channel_receive_body(channel_state& ch, const detail::value_ops& ops,
                          void* out) SLP_SWITCH_ENTRY_BODY(channel_receive);

}  // namespace slp::core

#endif  // SLP_CORE_SWITCH_ENTRIES_HPP
