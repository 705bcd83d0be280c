// SPDX-License-Identifier: MIT
// model_test: the differential test of issue 9. Generates random programs
// of the operation language (program.hpp), runs each under slp and under
// the reference model, and fails on the first trace that differs.
//
//   model_test [--seed S] [--programs N] [--verbose] [--minimize]
//              [--keep-going] [--soak [--seconds T]]
//              [--program FILE] [--emit-corpus DIR] [--assume NAMES]
//
// --assume (or SLP_MODEL_ASSUME) names divergences already reported for
// which the model should follow slp (model.hpp, model_options); off by
// default, and printed when on.
//
// Program i of a run has seed S + i, so a failing seed reproduces alone:
//   model_test --seed 1234 --programs 1 --verbose
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "differential.hpp"
#include "program.hpp"

namespace {

struct options {
  std::uint64_t seed = 1;
  std::uint64_t programs = 20000;
  bool verbose = false;
  bool minimize = false;
  bool keep_going = false;
  bool soak = false;
  double seconds = 0;  // soak: stop after this long (0 = never)
  std::string program_file;
  std::string corpus_dir;
  slp_model::model_options assume;
};

[[noreturn]] void usage(const char* why) {
  std::cerr << "model_test: " << why << "\n"
            << "usage: model_test [--seed S] [--programs N] [--verbose]\n"
            << "                  [--minimize] [--keep-going]\n"
            << "                  [--soak [--seconds T]] [--program FILE]\n"
            << "                  [--emit-corpus DIR] [--assume NAMES]\n";
  std::exit(2);
}

options parse_options(int argc, char** argv) {
  options o;
  if (const char* names = std::getenv("SLP_MODEL_ASSUME"))
    o.assume = slp_model::parse_model_options(names);
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(("missing value after " + arg).c_str());
      return argv[++i];
    };
    if (arg == "--seed") {
      o.seed = std::strtoull(value().c_str(), nullptr, 10);
    } else if (arg == "--programs") {
      o.programs = std::strtoull(value().c_str(), nullptr, 10);
    } else if (arg == "--verbose") {
      o.verbose = true;
    } else if (arg == "--minimize") {
      o.minimize = true;
    } else if (arg == "--keep-going") {
      o.keep_going = true;
    } else if (arg == "--soak") {
      o.soak = true;
      o.keep_going = true;
    } else if (arg == "--seconds") {
      o.seconds = std::strtod(value().c_str(), nullptr);
    } else if (arg == "--program") {
      o.program_file = value();
    } else if (arg == "--emit-corpus") {
      o.corpus_dir = value();
    } else if (arg == "--assume") {
      o.assume = slp_model::parse_model_options(value());
    } else {
      usage(("unknown argument " + arg).c_str());
    }
  }
  return o;
}

// The seed being run, for the crash and hang reports.
std::atomic<std::uint64_t> running_seed{0};
std::atomic<std::uint64_t> finished_programs{0};
std::atomic<bool> minimizing{false};  // many short runs, no program count

void write_running_seed(const char* what) {
  char line[160];
  const int n =
      std::snprintf(line, sizeof line,
                    "\nmodel_test: %s while running seed %llu; reproduce with "
                    "model_test --seed %llu --programs 1 --verbose\n",
                    what, static_cast<unsigned long long>(running_seed.load()),
                    static_cast<unsigned long long>(running_seed.load()));
  if (n > 0) (void)!write(2, line, static_cast<std::size_t>(n));
}

extern "C" void on_fatal_signal(int sig) {
  write_running_seed(strsignal(sig));
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

extern "C" void on_sanitizer_death() { write_running_seed("sanitizer report"); }

}  // namespace

// Weak, so the test links with and without the sanitizers.
extern "C" void __sanitizer_set_death_callback(void (*)(void))
    __attribute__((weak));

namespace {

void install_crash_reports() {
  for (int sig : {SIGSEGV, SIGBUS, SIGABRT, SIGILL, SIGFPE})
    std::signal(sig, on_fatal_signal);
  if (__sanitizer_set_death_callback)
    __sanitizer_set_death_callback(on_sanitizer_death);
  // A hang (a switch that never comes back, a thread that sleeps instead
  // of raising deadlock_error) would otherwise just time out in ctest.
  std::thread([] {
    std::uint64_t last = ~0ULL;
    int quiet = 0;
    for (;;) {
      std::this_thread::sleep_for(std::chrono::seconds(1));
      const std::uint64_t now = finished_programs.load();
      quiet = now == last && !minimizing ? quiet + 1 : 0;
      last = now;
      if (quiet >= 60) {
        write_running_seed("no progress for 60 s");
        std::_Exit(1);
      }
    }
  }).detach();
}

int run_one_file(const options& o) {
  std::ifstream in(o.program_file);
  if (!in) usage(("cannot read " + o.program_file).c_str());
  std::stringstream text;
  text << in.rdbuf();
  slp_model::program p = slp_model::parse_program(text.str());
  running_seed = p.seed;
  const slp_model::verdict v = slp_model::check_program(p, o.assume);
  if (o.verbose || !v.same) std::cout << slp_model::report(p, v);
  if (!v.same && o.minimize) {
    minimizing = true;
    const slp_model::program m = slp_model::minimize(p, o.assume);
    minimizing = false;
    std::cout << "=== minimized\n"
              << slp_model::report(m, slp_model::check_program(m, o.assume));
  }
  std::cout << (v.same ? "model_test: the traces agree\n"
                       : "model_test: the traces DIFFER\n");
  return v.same ? 0 : 1;
}

// encodes_back: the fuzz target's format covers the generated programs.
bool encodes_back(const slp_model::program& p) {
  const std::vector<std::uint8_t> bytes = slp_model::encode_program(p);
  slp_model::program back =
      slp_model::decode_program(bytes.data(), bytes.size());
  back.seed = p.seed;
  return slp_model::to_text(back) == slp_model::to_text(p);
}

int emit_corpus(const options& o) {
  for (std::uint64_t i = 0; i < o.programs; ++i) {
    const slp_model::program p = slp_model::generate_program(o.seed + i);
    const std::vector<std::uint8_t> bytes = slp_model::encode_program(p);
    const std::string path =
        o.corpus_dir + "/seed-" + std::to_string(o.seed + i);
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
    if (!out) usage(("cannot write " + path).c_str());
  }
  std::cout << "model_test: wrote " << o.programs << " inputs to "
            << o.corpus_dir << '\n';
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const options o = parse_options(argc, argv);
  if (!o.corpus_dir.empty()) return emit_corpus(o);
  install_crash_reports();
  if (!o.program_file.empty()) return run_one_file(o);

  std::cout << "model_test: seed " << o.seed << ", "
            << (o.soak ? std::string("soak")
                       : std::to_string(o.programs) + " programs")
            << ", assuming " << slp_model::to_text(o.assume) << std::endl;
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                         start)
        .count();
  };
  std::uint64_t operations = 0;
  std::uint64_t events = 0;
  std::uint64_t run = 0;
  std::vector<std::uint64_t> failing;
  double next_progress = 10;
  for (std::uint64_t i = 0; o.soak || i < o.programs; ++i) {
    if (o.soak && o.seconds > 0 && elapsed() >= o.seconds) break;
    const std::uint64_t seed = o.seed + i;
    running_seed = seed;
    const slp_model::program p = slp_model::generate_program(seed);
    if (!encodes_back(p)) {
      std::cout << "model_test: seed " << seed
                << ": the fuzzer's byte format does not round-trip\n";
      return 1;
    }
    const slp_model::verdict v = slp_model::check_program(p, o.assume);
    ++run;
    finished_programs = run;
    operations += v.actual.operations;
    events += v.actual.events.size();
    if (o.verbose) std::cout << slp_model::report(p, v);
    if (!v.same) {
      failing.push_back(seed);
      if (failing.size() <= 3 && !o.verbose)
        std::cout << slp_model::report(p, v);
      if (o.minimize) {
        minimizing = true;
        const slp_model::program m = slp_model::minimize(p, o.assume);
        minimizing = false;
        std::cout << "=== minimized (seed " << seed << ")\n"
                  << slp_model::report(m,
                                       slp_model::check_program(m, o.assume));
      }
      if (!o.keep_going && failing.size() >= 3) break;
    }
    if (o.soak && elapsed() >= next_progress) {
      next_progress += 10;
      std::cout << "model_test: " << run << " programs, " << failing.size()
                << " failing, " << static_cast<long>(elapsed()) << " s"
                << std::endl;
    }
  }
  const double seconds = elapsed();
  std::cout << "model_test: " << run << " programs (seeds " << o.seed << ".."
            << o.seed + run - 1 << "), " << operations << " operations, "
            << events << " events in " << seconds << " s ("
            << static_cast<long>(static_cast<double>(run) / seconds)
            << " programs/s, "
            << static_cast<long>(static_cast<double>(operations) / seconds)
            << " operations/s)\n";
  if (failing.empty()) {
    std::cout << "model_test: every trace agrees with the model\n";
    return 0;
  }
  std::cout << "model_test: " << failing.size() << " FAILING seeds:";
  for (std::uint64_t s : failing) std::cout << ' ' << s;
  std::cout << '\n';
  return 1;
}
