// SPDX-License-Identifier: MIT
#include "differential.hpp"

#include <algorithm>
#include <sstream>

#include "model.hpp"
#include "slp_runner.hpp"

namespace slp_model {

verdict check_program(const program& p, const model_options& options) {
  verdict v;
  v.expected = run_model(p, options);
  v.actual = run_under_slp(p);
  const auto& e = v.expected.events;
  const auto& a = v.actual.events;
  const std::size_t common = std::min(e.size(), a.size());
  std::size_t i = 0;
  while (i < common && e[i] == a[i]) ++i;
  v.first_divergence = i;
  v.same = i == e.size() && i == a.size();
  return v;
}

std::string report(const program& p, const verdict& v) {
  std::ostringstream out;
  out << "=== program (seed " << p.seed << "): " << p.operations()
      << " operations\n"
      << to_text(p);
  const auto& e = v.expected.events;
  const auto& a = v.actual.events;
  if (v.same) {
    out << "=== traces agree (" << e.size() << " events)\n";
    for (const std::string& line : e) out << "  " << line << '\n';
    return out.str();
  }
  out << "=== first divergence at event " << v.first_divergence << '\n';
  const std::size_t end = std::max(e.size(), a.size());
  const std::size_t stop = std::min(end, v.first_divergence + 6);
  for (std::size_t i = 0; i < stop; ++i) {
    const std::string* ex = i < e.size() ? &e[i] : nullptr;
    const std::string* ac = i < a.size() ? &a[i] : nullptr;
    if (ex && ac && *ex == *ac) {
      out << "    " << i << "  " << *ex << '\n';
      continue;
    }
    out << "  ! " << i << "  model: " << (ex ? *ex : "(trace ended)") << '\n'
        << "  ! " << i << "  slp:   " << (ac ? *ac : "(trace ended)") << '\n';
  }
  if (stop < end) out << "    ... (" << end - stop << " more events)\n";
  if (p.from_seed) {
    out << "=== reproduce: model_test --seed " << p.seed
        << " --programs 1 --verbose\n";
  } else {
    out << "=== reproduce: save the program above to a file F, then "
           "model_test --program F --verbose\n";
  }
  return out.str();
}

namespace {

// try_change: applies `change` to a copy and keeps it if it still
// diverges.
template <class Change>
bool try_change(program& p, const model_options& options, Change change) {
  program candidate = p;
  if (!change(candidate)) return false;
  if (check_program(candidate, options).same) return false;
  p = std::move(candidate);
  return true;
}

}  // namespace

program minimize(program p, const model_options& options) {
  p.from_seed = false;  // reproduced from its text from now on
  bool progress = true;
  while (progress) {
    progress = false;
    for (std::size_t t = 0; t < p.bodies.size(); ++t) {
      for (std::size_t i = p.bodies[t].size(); i-- > 0;) {
        if (i >= p.bodies[t].size()) continue;
        progress |= try_change(p, options, [t, i](program& c) {
          c.bodies[t].erase(c.bodies[t].begin() + static_cast<long>(i));
          return true;
        });
      }
    }
    // Drop trailing tasklets that nothing names any more.
    while (p.bodies.size() > 2 && p.bodies.back().empty()) {
      const int last = p.tasklets() - 1;
      bool named = false;
      for (const auto& body : p.bodies) {
        for (const operation& op : body) {
          named |= operand_of(op.kind) == operand::tasklet && op.target == last;
        }
      }
      if (named) break;
      if (!try_change(p, options, [](program& c) {
            c.bodies.pop_back();
            c.body_depth.pop_back();
            return true;
          }))
        break;
      progress = true;
    }
  }
  // Simplify what is left: no extra frames, catch everything, no traps.
  for (std::size_t t = 0; t < p.bodies.size(); ++t) {
    (void)try_change(p, options, [t](program& c) {
      if (c.body_depth[t] == 0) return false;
      c.body_depth[t] = 0;
      return true;
    });
    for (std::size_t i = 0; i < p.bodies[t].size(); ++i) {
      (void)try_change(p, options, [t, i](program& c) {
        operation& op = c.bodies[t][i];
        if (op.depth == 0) return false;
        op.depth = 0;
        return true;
      });
      (void)try_change(p, options, [t, i](program& c) {
        operation& op = c.bodies[t][i];
        if (op.catching) return false;
        op.catching = true;
        return true;
      });
      (void)try_change(p, options, [t, i](program& c) {
        operation& op = c.bodies[t][i];
        if (!op.trapped) return false;
        op.trapped = false;
        return true;
      });
    }
  }
  (void)try_change(p, options, [](program& c) {
    if (c.stack_count == 2) return false;
    c.stack_count = 2;
    return true;
  });
  (void)try_change(p, options, [](program& c) {
    if (c.handler == handler_mode::none) return false;
    c.handler = handler_mode::none;
    return true;
  });
  return p;
}

}  // namespace slp_model
