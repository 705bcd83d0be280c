// SPDX-License-Identifier: MIT
// The monitoring hooks of <slp/hooks.hpp>: process-wide, read on every
// switch with one atomic load, so that having none costs nothing and a
// fast hook costs one indirect call.
#include "slp/hooks.hpp"

#include <atomic>
#include <cstdio>
#include <memory>
#include <mutex>
#include <vector>

#include "core/scheduler.hpp"
#include "core/tasklet_impl.hpp"
#include "slp/errors.hpp"

namespace slp::core {

namespace {

struct hook_registry {
  std::mutex mutex;
  std::vector<std::unique_ptr<hook_set>> all;
};
hook_registry& registry() {
  static hook_registry r;
  return r;
}

// replace: publishes a copy of the current set changed by `change`.
template <class Change>
void replace(Change&& change) {
  hook_registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mutex);
  const hook_set* old = published_hooks.load(std::memory_order_acquire);
  auto fresh = std::make_unique<hook_set>(old != nullptr ? *old : hook_set{});
  change(*fresh);
  published_hooks.store(fresh->empty() ? nullptr : fresh.get(),
                        std::memory_order_release);
  r.all.push_back(std::move(fresh));
}

const hook_set* current_hooks() noexcept {
  return published_hooks.load(std::memory_order_acquire);
}

std::optional<tasklet> handle(tasklet_impl* t) {
  if (t == nullptr) return std::nullopt;
  return handle_access::adopt(add_ref(t));
}

}  // namespace

std::atomic<const hook_set*> published_hooks{nullptr};

void hook_dispatch::channel(channel_state& ch, tasklet_impl& t, bool sending,
                            bool will_block) {
  const hook_set* h = current_hooks();
  if (h == nullptr || !h->channel) return;
  const channel_ref ref = handle_access::adopt(detail::channel_add_ref(&ch));
  const tasklet who = handle_access::adopt(add_ref(&t));
  in_hook_ = true;
  try {
    h->channel(ref, who, sending, will_block);
  } catch (...) {
    in_hook_ = false;
    throw;
  }
  in_hook_ = false;
}

// call_schedule_hooks: the fast hook and the schedule callback, at a real
// switch, when a schedule callback is set (notify_schedule calls a lone
// fast hook itself); an exception from the callback goes to the error
// handler, or to stderr.
void hook_dispatch::call_schedule_hooks(const hook_set& h, tasklet_impl* from,
                                        tasklet_impl* to) noexcept {
  in_hook_ = true;
  if (h.fast.fn != nullptr) {
    h.fast.fn(h.fast.user, handle_access::view(from), handle_access::view(to));
  }
  if (h.schedule) {
    try {
      h.schedule(handle(from), handle(to));
    } catch (...) {
      std::exception_ptr e = std::current_exception();
      auto handler = scheduler::error_handler();
      bool reported = false;
      if (handler && *handler) {
        try {
          (*handler)(e);
          reported = true;
        } catch (...) {
        }
      }
      if (!reported) {
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& x) {
          std::fprintf(stderr,
                       "slp: exception in the schedule callback ignored: %s\n",
                       x.what());
        } catch (...) {
          std::fputs("slp: exception in the schedule callback ignored\n",
                     stderr);
        }
      }
    }
  }
  in_hook_ = false;
}

}  // namespace slp::core

namespace slp {

channel_callback set_channel_callback(channel_callback callback) {
  channel_callback old;
  core::replace([&](core::hook_set& h) {
    old = std::exchange(h.channel, std::move(callback));
  });
  return old;
}

channel_callback get_channel_callback() {
  const core::hook_set* h = core::current_hooks();
  return h != nullptr ? h->channel : channel_callback();
}

schedule_callback set_schedule_callback(schedule_callback callback) {
  schedule_callback old;
  core::replace([&](core::hook_set& h) {
    old = std::exchange(h.schedule, std::move(callback));
  });
  return old;
}

schedule_callback get_schedule_callback() {
  const core::hook_set* h = core::current_hooks();
  return h != nullptr ? h->schedule : schedule_callback();
}

fasthook set_schedule_fasthook(schedule_fasthook fn, void* user) {
  fasthook old;
  core::replace([&](core::hook_set& h) {
    old = std::exchange(h.fast, fasthook{fn, fn != nullptr ? user : nullptr});
  });
  return old;
}

fasthook get_schedule_fasthook() {
  const core::hook_set* h = core::current_hooks();
  return h != nullptr ? h->fast : fasthook{};
}

std::uint64_t tasklet_view::id() const noexcept {
  return impl_ != nullptr ? impl_->id : 0;
}

bool tasklet_view::is_main() const noexcept {
  return impl_ != nullptr && impl_->is_main;
}

const std::string& tasklet_view::name() const noexcept {
  static const std::string none;
  return impl_ != nullptr ? impl_->name_or_empty() : none;
}

std::optional<tasklet> tasklet_view::lock() const {
  return core::handle(impl_);
}

}  // namespace slp
