// SPDX-License-Identifier: MIT
// The operation language of the differential test (issue 9): a program is
// a fixed set of tasklets (main plus 1..5 others) and channels; each
// tasklet's body is a list of operations on the public API. The same
// program runs under slp (slp_runner.hpp) and under the reference model
// (model.hpp), and both write the same kind of trace (trace.hpp).
//
// Example:
//   slp_model::program p = slp_model::generate_program(42);
//   std::string text = slp_model::to_text(p);     // one line per body
//   slp_model::program q = slp_model::parse_program(text);  // same program
#ifndef SLP_TESTS_MODEL_PROGRAM_HPP
#define SLP_TESTS_MODEL_PROGRAM_HPP

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace slp_model {

// op_kind: one call on the public API, made by the tasklet whose body
// holds it ("self"). `target` is a tasklet index (0 = main) or a channel
// index, as the kind says.
enum class op_kind : std::uint8_t {
  spawn,             // tasklet t: bind(body) if not alive, then setup()
  bind,              // tasklet t: bind(body)
  insert,            // tasklet t: insert()
  remove,            // tasklet t: remove()
  run_tasklet,       // tasklet t: run()
  switch_to,         // tasklet t: switch_to()
  kill,              // tasklet t: kill(pending)
  throw_exception,   // tasklet t: throw_exception(program_exception{value})
  send,              // channel c: send(value)
  send_exception,    // channel c: send_exception(program_exception{value})
  receive,           // channel c: receive()
  schedule,          // slp::schedule()
  schedule_remove,   // slp::schedule_remove()
  run,               // slp::run() with default options
  run_watchdog,      // slp::run({.timeout = value})
  tick,              // slp::tick(value)
  close,             // channel c: close()
  open,              // channel c: open()
  set_preference,    // channel c: set_preference(value)
  set_schedule_all,  // channel c: set_schedule_all(value != 0)
  set_atomic,        // self: set_atomic(value != 0), returns the old value
  set_block_trap,    // self: set_block_trap(value != 0)
};
inline constexpr int op_kind_count = 22;

// operand: what an op_kind's target names.
enum class operand : std::uint8_t { none, tasklet, channel };
[[nodiscard]] operand operand_of(op_kind kind);
[[nodiscard]] const char* name_of(op_kind kind);

// operation: one step of a body.
struct operation {
  op_kind kind = op_kind::schedule;
  int target = 0;        // tasklet or channel index (operand_of(kind))
  int value = 0;         // payload, preference, flag, timeout or ticks
  bool pending = false;  // kill / throw_exception: pending delivery
  bool catching = true;  // false: an exception from it ends the body
  bool trapped = false;  // made with slp::switch_trap(1) in force
  int depth = 0;         // extra frames (with a buffer each) around the call;
                  // depth % 3 == 2: the call is made inside a catch block
};

// handler_mode: what the process-wide error handler does, if installed.
enum class handler_mode : std::uint8_t { none, swallow, replace };
// The exception a `replace` handler throws instead.
inline constexpr int replaced_exception_value = 9999;

struct program {
  std::uint64_t seed = 0;
  bool from_seed = false;  // generate_program(seed) made it, unchanged
  int channels = 1;
  int stack_count = 1;  // slp::config::stack_count for the run under slp
  handler_mode handler = handler_mode::none;
  int op_budget = 300;  // operations started in all, then bodies stop
  std::vector<std::vector<operation>> bodies;  // [0] is main's
  std::vector<int> body_depth;  // extra frames under each body's first op
  [[nodiscard]] int tasklets() const { return static_cast<int>(bodies.size()); }
  [[nodiscard]] std::size_t operations() const;
};

// generate_program: a random program from `seed` (the same on every
// platform: the generator does not use <random>'s distributions).
[[nodiscard]] program generate_program(std::uint64_t seed);

// decode_program / encode_program: the fuzzer's byte format. Every byte
// string decodes to a valid program; encode(p) decodes back to p for
// programs made by generate_program (payload values are positional).
[[nodiscard]] program decode_program(const std::uint8_t* data,
                                     std::size_t size);
[[nodiscard]] std::vector<std::uint8_t> encode_program(const program& p);

// to_text / parse_program: the readable form, also accepted by
// `model_test --program`. parse_program throws std::invalid_argument.
[[nodiscard]] std::string to_text(const operation& op);
[[nodiscard]] std::string to_text(const program& p);
[[nodiscard]] program parse_program(const std::string& text);

// payload_value: the value a send / send_exception / throw_exception at
// body `self`, index `pc` carries (unique per operation).
[[nodiscard]] inline int payload_value(int self, std::size_t pc) {
  return (self + 1) * 100 + static_cast<int>(pc);
}

}  // namespace slp_model

#endif  // SLP_TESTS_MODEL_PROGRAM_HPP
