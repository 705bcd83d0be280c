// SPDX-License-Identifier: MIT
// The registry of live C objects (registry.hpp says what it promises), and
// the reference-count entry points of <slp/slp.h>.
//
// Freed C objects sit in a quarantine for a while, so that their addresses
// are not handed out again at once.
#include "registry.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "errors.hpp"

// The C objects. `refs` is guarded by the registry's mutex.
struct slp_tasklet {
  explicit slp_tasklet(slp::tasklet t) : handle(std::move(t)) {}
  slp::tasklet handle;
  std::size_t refs = 1;
};

struct slp_channel {
  // A channel made by slp_channel_new: it carries void*.
  explicit slp_channel(slp::channel<void*> c)
      : pointers(std::move(c)), ref(*pointers) {}
  // A channel made in C++ that reached C through a hook: it carries C++
  // values, so only its queries and setters work from C.
  explicit slp_channel(slp::channel_ref r) : ref(std::move(r)) {}
  std::optional<slp::channel<void*>> pointers;
  slp::channel_ref ref;
  std::size_t refs = 1;
};

namespace slp::c_binding {

namespace {

std::uint64_t id_of(const slp_tasklet& t) noexcept { return t.handle.id(); }
std::uint64_t id_of(const slp_channel& c) noexcept { return c.ref.id(); }

// take: what a C object holds, moved out of it.
slp_tasklet take(slp_tasklet& t) noexcept {
  return slp_tasklet(std::move(t.handle));
}
slp_channel take(slp_channel& c) noexcept {
  slp_channel contents(std::move(c.ref));
  contents.pointers = std::move(c.pointers);
  c.pointers.reset();
  return contents;
}

const char* null_message(const slp_tasklet*) noexcept {
  return "the tasklet is NULL";
}
const char* null_message(const slp_channel*) noexcept {
  return "the channel is NULL";
}
const char* stale_message(const slp_tasklet*) noexcept {
  return "not a live slp_tasklet (its reference count reached zero, or it "
         "never was one)";
}
const char* stale_message(const slp_channel*) noexcept {
  return "not a live slp_channel (its reference count reached zero, or it "
         "never was one)";
}

template <class Object>
class registry {
 public:
  // validate: `object` is live; returns what `get` copies out of it, under
  // the lock, so that the C object may go while the copy is used.
  template <class Get>
  auto validate(const char* operation, const Object* object, Get&& get) {
    if (object == nullptr) fail(operation, null_message(object));
    std::lock_guard<std::mutex> lock(mutex_);
    if (live_.count(object) == 0) fail(operation, stale_message(object));
    return get(*object);
  }

  void incref(const char* operation, Object* object) {
    if (object == nullptr) fail(operation, null_message(object));
    std::lock_guard<std::mutex> lock(mutex_);
    if (live_.count(object) == 0) fail(operation, stale_message(object));
    ++object->refs;
  }

  // decref: drops one reference; the last one retires the C object. What
  // it held is destroyed after the lock is released, because dropping a
  // tasklet handle can kill the tasklet, which switches.
  void decref(const char* operation, Object* object) {
    if (object == nullptr) fail(operation, null_message(object));
    std::optional<Object> contents;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (live_.count(object) == 0) {
        fail(operation,
             "the reference count would go below zero (it reached zero "
             "already: released twice, or never a live object)");
      }
      if (--object->refs == 0) contents.emplace(retire(object));
    }
  }

  // adopt: the C object for `handle`, found by id (one more reference) or
  // made (its first).
  template <class Handle>
  Object* adopt(Handle handle) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = by_id_.find(handle.id());
    if (it != by_id_.end()) {
      ++it->second->refs;
      return it->second;
    }
    return enter(new Object(std::move(handle)));
  }

  // enter_new: registers a C object just made, with its first reference.
  Object* enter_new(Object* object) {
    std::lock_guard<std::mutex> lock(mutex_);
    return enter(object);
  }

 private:
  Object* enter(Object* object) {
    std::unique_ptr<Object> owner(object);
    live_.insert(object);
    try {
      by_id_.emplace(id_of(*object), object);
    } catch (...) {
      live_.erase(object);
      throw;
    }
    return owner.release();
  }

  // retire: takes `object` out of the registry and returns its contents.
  // The emptied object waits in the quarantine, so that its address is not
  // reused while a stale pointer to it may still be around.
  Object retire(Object* object) noexcept {
    live_.erase(object);
    by_id_.erase(id_of(*object));
    Object contents = take(*object);
    if (quarantine_.size() < quarantine_capacity) {
      quarantine_.push_back(object);  // reserved: does not throw
    } else {
      delete quarantine_[next_evicted_];
      quarantine_[next_evicted_] = object;
      next_evicted_ = (next_evicted_ + 1) % quarantine_capacity;
    }
    return contents;
  }

  static constexpr std::size_t quarantine_capacity = 256;
  std::mutex mutex_;
  std::unordered_set<const Object*> live_;
  std::unordered_map<std::uint64_t, Object*> by_id_;
  std::vector<Object*> quarantine_ = [] {
    std::vector<Object*> v;
    v.reserve(quarantine_capacity);
    return v;
  }();
  std::size_t next_evicted_ = 0;
};

// Never destroyed: C objects may be released during the process's exit.
registry<slp_tasklet>& tasklets() {
  static auto* r = new registry<slp_tasklet>;
  return *r;
}
registry<slp_channel>& channels() {
  static auto* r = new registry<slp_channel>;
  return *r;
}

}  // namespace

slp::tasklet tasklet_of(const char* operation, const slp_tasklet* t) {
  return tasklets().validate(operation, t,
                             [](const slp_tasklet& w) { return w.handle; });
}

slp::channel_ref channel_of(const char* operation, const slp_channel* ch) {
  return channels().validate(operation, ch,
                             [](const slp_channel& w) { return w.ref; });
}

slp::channel<void*> pointer_channel_of(const char* operation,
                                       const slp_channel* ch) {
  std::optional<slp::channel<void*>> c = channels().validate(
      operation, ch, [](const slp_channel& w) { return w.pointers; });
  if (!c) {
    fail(operation,
         "the channel was made in C++ and carries C++ values, not void*");
  }
  return std::move(*c);
}

slp_tasklet* adopt(const slp::tasklet& t) { return tasklets().adopt(t); }

slp_tasklet* adopt(const std::optional<slp::tasklet>& t) {
  return t ? adopt(*t) : nullptr;
}

slp_channel* adopt(const slp::channel_ref& ch) { return channels().adopt(ch); }

slp_channel* adopt_new(slp::channel<void*> ch) {
  return channels().enter_new(new slp_channel(std::move(ch)));
}

void incref(const char* operation, slp_tasklet* t) {
  tasklets().incref(operation, t);
}
void incref(const char* operation, slp_channel* ch) {
  channels().incref(operation, ch);
}
void decref(const char* operation, slp_tasklet* t) {
  tasklets().decref(operation, t);
}
void decref(const char* operation, slp_channel* ch) {
  channels().decref(operation, ch);
}

}  // namespace slp::c_binding

using slp::c_binding::guarded_status;

extern "C" {

int slp_tasklet_incref(slp_tasklet* t) {
  static constexpr const char* op = "slp_tasklet_incref";
  return guarded_status(op, [&] { slp::c_binding::incref(op, t); });
}

int slp_tasklet_decref(slp_tasklet* t) {
  static constexpr const char* op = "slp_tasklet_decref";
  return guarded_status(op, [&] { slp::c_binding::decref(op, t); });
}

int slp_channel_incref(slp_channel* ch) {
  static constexpr const char* op = "slp_channel_incref";
  return guarded_status(op, [&] { slp::c_binding::incref(op, ch); });
}

int slp_channel_decref(slp_channel* ch) {
  static constexpr const char* op = "slp_channel_decref";
  return guarded_status(op, [&] { slp::c_binding::decref(op, ch); });
}

}  // extern "C"
