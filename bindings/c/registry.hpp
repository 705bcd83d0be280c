// SPDX-License-Identifier: MIT
// The registry of live C objects: the opaque, reference-counted
// slp_tasklet and slp_channel of <slp/slp.h> over the C++ handles.
//
// A pointer from C is used only after the registry has confirmed it is
// live, so a stale pointer or a decref below zero is an error, not a use
// of freed memory. While C holds a reference, the same tasklet or channel
// is always handed out as the same pointer (found by its id).
#ifndef SLP_BINDINGS_C_REGISTRY_HPP
#define SLP_BINDINGS_C_REGISTRY_HPP

#include <optional>

#include "slp/channel.hpp"
#include "slp/slp.h"
#include "slp/tasklet.hpp"

namespace slp::c_binding {

// tasklet_of, channel_of: a copy of the handle that live object `t` or
// `ch` holds (misuse for NULL or a pointer that is not live), so that the
// C object may go while the copy is used.
slp::tasklet tasklet_of(const char* operation, const slp_tasklet* t);
slp::channel_ref channel_of(const char* operation, const slp_channel* ch);
// pointer_channel_of: the channel<void*> of `ch`; misuse for a channel made
// in C++ with another value type.
slp::channel<void*> pointer_channel_of(const char* operation,
                                       const slp_channel* ch);

// adopt: the C object for a handle, found by id (one more reference) or
// made (its first); NULL for std::nullopt.
slp_tasklet* adopt(const slp::tasklet& t);
slp_tasklet* adopt(const std::optional<slp::tasklet>& t);
slp_channel* adopt(const slp::channel_ref& ch);
// adopt_new: the C object of a channel just made by slp_channel_new.
slp_channel* adopt_new(slp::channel<void*> ch);

// incref, decref: one reference more or less; the last decref retires the
// C object (and drops its handle, which may kill a paused tasklet).
void incref(const char* operation, slp_tasklet* t);
void incref(const char* operation, slp_channel* ch);
void decref(const char* operation, slp_tasklet* t);
void decref(const char* operation, slp_channel* ch);

// borrowed: a C object lent to a hook for the length of the call; the
// reference adopt() took is dropped at the end.
template <class Object>
class borrowed {
 public:
  explicit borrowed(Object* object) noexcept : object_(object) {}
  ~borrowed() {
    if (object_ == nullptr) return;
    try {
      decref("slp hook", object_);
    } catch (...) {  // the hook released it once too often: its bug
    }
  }
  borrowed(const borrowed&) = delete;
  borrowed& operator=(const borrowed&) = delete;
  [[nodiscard]] Object* get() const noexcept { return object_; }

 private:
  Object* object_;
};

}  // namespace slp::c_binding

#endif  // SLP_BINDINGS_C_REGISTRY_HPP
