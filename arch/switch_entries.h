/* SPDX-License-Identifier: MIT */
/* slp — what C++ sees of arch/switch_entries.S: the per-thread switch count
 * its thunks read. core/ adds one at every switch it makes and takes it
 * back when one is undone; the bodies the thunks call are declared by
 * core/ (core/switch_entries.hpp). */
#ifndef SLP_ARCH_SWITCH_ENTRIES_H
#define SLP_ARCH_SWITCH_ENTRIES_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* slp_switch_count: the switches this thread has made. Initial-exec TLS:
   the cheapest model, which a library linked at start-up may use. */
extern __thread uint64_t slp_switch_count
    __attribute__((tls_model("initial-exec")));

#ifdef __cplusplus
}
#endif

#endif /* SLP_ARCH_SWITCH_ENTRIES_H */
