// SPDX-License-Identifier: MIT
// The hook setters of <slp/slp.h>: C function pointers behind the C++
// hooks of <slp/hooks.hpp>, given borrowed C objects or tasklet views.
#include "slp/hooks.hpp"

#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "errors.hpp"
#include "registry.hpp"
#include "slp/scheduler.hpp"
#include "slp/slp.h"

using slp::c_binding::adopt;
using slp::c_binding::as_int;
using slp::c_binding::borrowed;
using slp::c_binding::classify;
using slp::c_binding::guarded_status;

namespace {

// fast_cell: a C fast hook and its user pointer. Cells are kept for the
// life of the process, as the C++ hook sets are: another thread may be
// calling through an old one.
struct fast_cell {
  slp_schedule_fasthook fn;
  void* user;
};

fast_cell* cell_for(slp_schedule_fasthook fn, void* user) {
  static std::mutex mutex;
  static auto* cells = new std::vector<std::unique_ptr<fast_cell>>;
  std::lock_guard<std::mutex> lock(mutex);
  for (const auto& c : *cells) {
    if (c->fn == fn && c->user == user) return c.get();
  }
  cells->push_back(std::make_unique<fast_cell>(fast_cell{fn, user}));
  return cells->back().get();
}

void fast_trampoline(void* cell, slp::tasklet_view from, slp::tasklet_view to) {
  const auto& c = *static_cast<const fast_cell*>(cell);
  slp_tasklet_view f{from.id(), as_int(from.is_main()), from.name().c_str()};
  slp_tasklet_view t{to.id(), as_int(to.is_main()), to.name().c_str()};
  c.fn(c.user, from ? &f : nullptr, to ? &t : nullptr);
}

}  // namespace

extern "C" {

int slp_set_channel_callback(slp_channel_callback fn, void* user) {
  static constexpr const char* op = "slp_set_channel_callback";
  return guarded_status(op, [&] {
    if (fn == nullptr) {
      slp::set_channel_callback(nullptr);
      return;
    }
    slp::set_channel_callback([fn, user](const slp::channel_ref& ch,
                                         const slp::tasklet& t, bool sending,
                                         bool will_block) {
      borrowed<slp_channel> c(adopt(ch));
      borrowed<slp_tasklet> who(adopt(t));
      fn(user, c.get(), who.get(), as_int(sending), as_int(will_block));
    });
  });
}

int slp_set_schedule_callback(slp_schedule_callback fn, void* user) {
  static constexpr const char* op = "slp_set_schedule_callback";
  return guarded_status(op, [&] {
    if (fn == nullptr) {
      slp::set_schedule_callback(nullptr);
      return;
    }
    slp::set_schedule_callback(
        [fn, user](const std::optional<slp::tasklet>& from,
                   const std::optional<slp::tasklet>& to) {
          borrowed<slp_tasklet> f(adopt(from));
          borrowed<slp_tasklet> t(adopt(to));
          fn(user, f.get(), t.get());
        });
  });
}

int slp_set_schedule_fasthook(slp_schedule_fasthook fn, void* user) {
  static constexpr const char* op = "slp_set_schedule_fasthook";
  return guarded_status(op, [&] {
    if (fn == nullptr) {
      slp::set_schedule_fasthook(nullptr, nullptr);
      return;
    }
    slp::set_schedule_fasthook(&fast_trampoline, cell_for(fn, user));
  });
}

int slp_set_error_handler(slp_error_handler fn, void* user) {
  static constexpr const char* op = "slp_set_error_handler";
  return guarded_status(op, [&] {
    if (fn == nullptr) {
      slp::set_error_handler(nullptr);
      return;
    }
    slp::set_error_handler([fn, user](std::exception_ptr e) {
      int kind = SLP_E_OTHER;
      std::string text;
      classify(std::move(e), "slp error handler", &kind, &text);
      fn(user, kind, text.c_str());
    });
  });
}
}  // extern "C"
