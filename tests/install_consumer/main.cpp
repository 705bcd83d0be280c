// Uses the installed slp through its public headers only.
#include <cstdio>
#include <slp/config.hpp>
#include <slp/errors.hpp>

int main() {
  slp::config cfg;
  cfg.stack_count = 2;
  slp::configure(cfg);
  if (slp::current_config().stack_count != 2) return 1;
  try {
    cfg.stack_count = 0;
    slp::configure(cfg);
    return 1;
  } catch (const slp::error& e) {
    std::printf("install consumer: slp::error as documented: %s\n", e.what());
  }
  return 0;
}
