// SPDX-License-Identifier: MIT
// slp — undoing a transaction of the runnables (core/runnables.hpp).
#include "core/runnables.hpp"

#include <cstdio>
#include <cstdlib>

namespace slp::core {

void runnables::undo() noexcept {
  if (size_ == overflowed) {
    std::fputs("slp: fatal: cannot undo a failed switch\n", stderr);
    std::abort();
  }
  std::size_t n = size_ == closed ? 0 : size_;
  size_ = closed;
  while (n > 0) {
    const entry& e = journal_[--n];
    switch (e.kind) {
      case entry::link:
        remove(*e.tasklet);
        break;
      case entry::unlink:
        insert_after(*e.tasklet, e.after);
        if (e.was_current) current_ = e.tasklet;
        break;
      case entry::park:
        e.site->ops->cancel(*e.site, *e.tasklet, nullptr);
        break;
      case entry::wake:
        e.site->ops->put_back(*e.site, *e.tasklet, e.place);
        break;
    }
  }
  current_ = begun_with_;
}

}  // namespace slp::core
