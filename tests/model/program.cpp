// SPDX-License-Identifier: MIT
#include "program.hpp"

#include <array>
#include <cstdlib>
#include <sstream>
#include <stdexcept>

namespace slp_model {
namespace {

struct kind_info {
  op_kind kind;
  const char* name;
  operand target;
  int weight;  // out of 256: how often the generator and decoder pick it
};

// The order is op_kind's.
constexpr std::array<kind_info, op_kind_count> kinds{{
    {op_kind::spawn, "spawn", operand::tasklet, 20},
    {op_kind::bind, "bind", operand::tasklet, 4},
    {op_kind::insert, "insert", operand::tasklet, 10},
    {op_kind::remove, "remove", operand::tasklet, 10},
    {op_kind::run_tasklet, "run_t", operand::tasklet, 14},
    {op_kind::switch_to, "switch", operand::tasklet, 8},
    {op_kind::kill, "kill", operand::tasklet, 10},
    {op_kind::throw_exception, "throw", operand::tasklet, 10},
    {op_kind::send, "send", operand::channel, 32},
    {op_kind::send_exception, "send_exc", operand::channel, 6},
    {op_kind::receive, "recv", operand::channel, 36},
    {op_kind::schedule, "schedule", operand::none, 22},
    {op_kind::schedule_remove, "schedule_remove", operand::none, 8},
    {op_kind::run, "run", operand::none, 12},
    {op_kind::run_watchdog, "run_wd", operand::none, 6},
    {op_kind::tick, "tick", operand::none, 10},
    {op_kind::close, "close", operand::channel, 6},
    {op_kind::open, "open", operand::channel, 6},
    {op_kind::set_preference, "pref", operand::channel, 8},
    {op_kind::set_schedule_all, "sched_all", operand::channel, 6},
    {op_kind::set_atomic, "atomic", operand::none, 6},
    {op_kind::set_block_trap, "block_trap", operand::none, 6},
}};

constexpr int total_weight() {
  int sum = 0;
  for (const kind_info& k : kinds) sum += k.weight;
  return sum;
}
static_assert(total_weight() == 256, "a byte picks a kind");

const kind_info& info(op_kind kind) {
  return kinds[static_cast<std::size_t>(kind)];
}

op_kind kind_from_byte(std::uint8_t b) {
  int left = b;
  for (const kind_info& k : kinds) {
    if (left < k.weight) return k.kind;
    left -= k.weight;
  }
  return op_kind::schedule;
}

std::uint8_t byte_for_kind(op_kind kind) {
  int first = 0;
  for (const kind_info& k : kinds) {
    if (k.kind == kind) return static_cast<std::uint8_t>(first);
    first += k.weight;
  }
  return 0;
}

bool has_payload(op_kind kind) {
  return kind == op_kind::send || kind == op_kind::send_exception ||
         kind == op_kind::throw_exception;
}

bool has_value(op_kind kind) {
  switch (kind) {
    case op_kind::set_preference:
    case op_kind::set_schedule_all:
    case op_kind::set_atomic:
    case op_kind::set_block_trap:
    case op_kind::tick:
    case op_kind::run_watchdog:
      return true;
    default:
      return has_payload(kind);
  }
}

// value_from_byte: the value of an operation that is not a payload.
int value_from_byte(op_kind kind, std::uint8_t b) {
  switch (kind) {
    case op_kind::set_preference:
      return b % 5 - 2;
    case op_kind::set_schedule_all:
    case op_kind::set_atomic:
    case op_kind::set_block_trap:
      return b & 1;
    case op_kind::tick:
      return 1 + b % 8;
    case op_kind::run_watchdog:
      return 1 + b % 6;
    default:
      return 0;
  }
}

std::uint8_t byte_for_value(op_kind kind, int value) {
  switch (kind) {
    case op_kind::set_preference:
      return static_cast<std::uint8_t>(value + 2);
    case op_kind::set_schedule_all:
    case op_kind::set_atomic:
    case op_kind::set_block_trap:
      return static_cast<std::uint8_t>(value & 1);
    case op_kind::tick:
    case op_kind::run_watchdog:
      return static_cast<std::uint8_t>(value - 1);
    default:
      return 0;
  }
}

// splitmix64: a small generator whose sequence is fixed everywhere.
class random_source {
 public:
  explicit random_source(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // below: uniform enough in [0, n) for the small n used here.
  int below(int n) {
    return static_cast<int>(next() % static_cast<std::uint64_t>(n));
  }
  bool one_in(int n) { return below(n) == 0; }
  std::uint8_t byte() { return static_cast<std::uint8_t>(next() & 0xff); }

 private:
  std::uint64_t state_;
};

operation random_operation(random_source& random, const program& p, int self,
                           std::size_t pc) {
  operation op;
  op.kind = kind_from_byte(random.byte());
  switch (operand_of(op.kind)) {
    case operand::tasklet:
      op.target = random.below(p.tasklets());
      break;
    case operand::channel:
      op.target = random.below(p.channels);
      break;
    case operand::none:
      break;
  }
  op.value = has_payload(op.kind) ? payload_value(self, pc)
                                  : value_from_byte(op.kind, random.byte());
  op.pending = random.one_in(3);
  op.catching = !random.one_in(10);
  op.trapped = random.one_in(25);
  op.depth = random.below(12);
  return op;
}

}  // namespace

operand operand_of(op_kind kind) { return info(kind).target; }
const char* name_of(op_kind kind) { return info(kind).name; }

std::size_t program::operations() const {
  std::size_t n = 0;
  for (const auto& body : bodies) n += body.size();
  return n;
}

program generate_program(std::uint64_t seed) {
  random_source random(seed * 0x2545f4914f6cdd1dULL + 0x1234567ULL);
  program p;
  p.seed = seed;
  p.from_seed = true;
  static constexpr std::array<int, 10> others{1, 1, 2, 2, 2, 3, 3, 3, 4, 5};
  const int tasklets = 1 + others[static_cast<std::size_t>(random.below(10))];
  p.channels = 1 + random.below(3);
  p.stack_count = 1 + random.below(2);
  const int h = random.below(20);
  p.handler = h < 14   ? handler_mode::none
              : h < 17 ? handler_mode::swallow
                       : handler_mode::replace;
  p.bodies.resize(static_cast<std::size_t>(tasklets));
  for (int i = 0; i < tasklets; ++i) p.body_depth.push_back(random.below(8));

  // Main: usually sets up a few tasklets first and ends with run().
  auto& main_body = p.bodies[0];
  const int spawns = 1 + random.below(tasklets);
  for (int s = 0; s < spawns; ++s) {
    operation op;
    op.kind = op_kind::spawn;
    op.target = 1 + random.below(tasklets - 1);
    op.depth = random.below(4);
    main_body.push_back(op);
  }
  const int main_ops = 2 + random.below(16);
  for (int i = 0; i < main_ops; ++i) {
    operation op = random_operation(random, p, 0, main_body.size());
    op.catching = !random.one_in(4) || op.catching;  // main ends the program
    main_body.push_back(op);
  }
  if (random.below(4) != 0) {
    operation op;
    op.kind = op_kind::run;
    main_body.push_back(op);
  }
  for (int t = 1; t < tasklets; ++t) {
    auto& body = p.bodies[static_cast<std::size_t>(t)];
    const int n = 1 + random.below(11);
    for (int i = 0; i < n; ++i)
      body.push_back(random_operation(random, p, t, body.size()));
  }
  return p;
}

program decode_program(const std::uint8_t* data, std::size_t size) {
  std::size_t at = 0;
  auto next = [&]() -> std::uint8_t { return at < size ? data[at++] : 0; };
  program p;
  const int tasklets = 2 + next() % 5;
  p.channels = 1 + next() % 3;
  const std::uint8_t flags = next();
  p.stack_count = 1 + (flags & 1);
  p.handler = static_cast<handler_mode>((flags >> 1) % 3);
  p.bodies.resize(static_cast<std::size_t>(tasklets));
  for (int t = 0; t < tasklets; ++t) {
    auto& body = p.bodies[static_cast<std::size_t>(t)];
    const int length = next() % (t == 0 ? 32 : 16);
    p.body_depth.push_back(next() % 8);
    for (int i = 0; i < length; ++i) {
      operation op;
      op.kind = kind_from_byte(next());
      const std::uint8_t target = next();
      const std::uint8_t value = next();
      const std::uint8_t op_flags = next();
      op.depth = next() % 16;
      switch (operand_of(op.kind)) {
        case operand::tasklet:
          op.target = target % tasklets;
          break;
        case operand::channel:
          op.target = target % p.channels;
          break;
        case operand::none:
          break;
      }
      op.value = has_payload(op.kind) ? payload_value(t, body.size())
                                      : value_from_byte(op.kind, value);
      op.pending = (op_flags & 1) != 0;
      op.trapped = (op_flags & 0x1e) == 0x1e;
      op.catching = (op_flags & 0xe0) != 0xe0;
      body.push_back(op);
    }
  }
  return p;
}

std::vector<std::uint8_t> encode_program(const program& p) {
  std::vector<std::uint8_t> out;
  auto put = [&](int v) { out.push_back(static_cast<std::uint8_t>(v)); };
  put(p.tasklets() - 2);
  put(p.channels - 1);
  put((p.stack_count - 1) | (static_cast<int>(p.handler) << 1));
  for (int t = 0; t < p.tasklets(); ++t) {
    const auto& body = p.bodies[static_cast<std::size_t>(t)];
    put(static_cast<int>(body.size()));
    put(p.body_depth[static_cast<std::size_t>(t)]);
    for (const operation& op : body) {
      put(byte_for_kind(op.kind));
      put(op.target);
      put(byte_for_value(op.kind, op.value));
      put((op.pending ? 1 : 0) | (op.trapped ? 0x1e : 0) |
          (op.catching ? 0 : 0xe0));
      put(op.depth);
    }
  }
  return out;
}

std::string to_text(const operation& op) {
  std::string s = name_of(op.kind);
  switch (operand_of(op.kind)) {
    case operand::tasklet:
      s += " t" + std::to_string(op.target);
      break;
    case operand::channel:
      s += " c" + std::to_string(op.target);
      break;
    case operand::none:
      break;
  }
  if (has_value(op.kind)) s += " =" + std::to_string(op.value);
  if (op.pending &&
      (op.kind == op_kind::kill || op.kind == op_kind::throw_exception))
    s += " pending";
  if (!op.catching) s += " nocatch";
  if (op.trapped) s += " trap";
  if (op.depth != 0) s += " @" + std::to_string(op.depth);
  return s;
}

std::string to_text(const program& p) {
  std::ostringstream out;
  static constexpr std::array<const char*, 3> handlers{"none", "swallow",
                                                       "replace"};
  out << "seed=" << p.seed << " channels=" << p.channels
      << " stacks=" << p.stack_count
      << " handler=" << handlers[static_cast<std::size_t>(p.handler)]
      << " budget=" << p.op_budget << '\n';
  for (int t = 0; t < p.tasklets(); ++t) {
    out << 't' << t << " @" << p.body_depth[static_cast<std::size_t>(t)] << ':';
    const auto& body = p.bodies[static_cast<std::size_t>(t)];
    for (std::size_t i = 0; i < body.size(); ++i)
      out << (i == 0 ? " " : "; ") << to_text(body[i]);
    out << '\n';
  }
  return out.str();
}

namespace {

int parse_int(const std::string& s, const std::string& what) {
  char* end = nullptr;
  const long v = std::strtol(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0')
    throw std::invalid_argument("bad number '" + s + "' in " + what);
  return static_cast<int>(v);
}

operation parse_operation(const std::string& text, int tasklets, int channels) {
  std::istringstream in(text);
  std::string word;
  in >> word;
  operation op;
  bool found = false;
  for (const kind_info& k : kinds) {
    if (word == k.name) {
      op.kind = k.kind;
      found = true;
    }
  }
  if (!found) throw std::invalid_argument("unknown operation '" + text + "'");
  while (in >> word) {
    if (word == "pending") {
      op.pending = true;
    } else if (word == "nocatch") {
      op.catching = false;
    } else if (word == "trap") {
      op.trapped = true;
    } else if (word[0] == '@') {
      op.depth = parse_int(word.substr(1), text);
    } else if (word[0] == '=') {
      op.value = parse_int(word.substr(1), text);
    } else if (word[0] == 't' && operand_of(op.kind) == operand::tasklet) {
      op.target = parse_int(word.substr(1), text);
      if (op.target < 0 || op.target >= tasklets)
        throw std::invalid_argument("no such tasklet in '" + text + "'");
    } else if (word[0] == 'c' && operand_of(op.kind) == operand::channel) {
      op.target = parse_int(word.substr(1), text);
      if (op.target < 0 || op.target >= channels)
        throw std::invalid_argument("no such channel in '" + text + "'");
    } else {
      throw std::invalid_argument("unexpected '" + word + "' in '" + text +
                                  "'");
    }
  }
  return op;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return {};
  const auto e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

}  // namespace

program parse_program(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  program p;
  std::vector<std::string> body_lines;
  bool header = false;
  while (std::getline(in, line)) {
    line = trim(line);
    if (line.empty() || line[0] == '#') continue;
    if (!header) {
      header = true;
      std::istringstream words(line);
      std::string word;
      while (words >> word) {
        const auto eq = word.find('=');
        if (eq == std::string::npos)
          throw std::invalid_argument("header: '" + word + "'");
        const std::string key = word.substr(0, eq);
        const std::string value = word.substr(eq + 1);
        if (key == "seed") {
          p.seed = std::strtoull(value.c_str(), nullptr, 10);
        } else if (key == "channels") {
          p.channels = parse_int(value, key);
        } else if (key == "stacks") {
          p.stack_count = parse_int(value, key);
        } else if (key == "budget") {
          p.op_budget = parse_int(value, key);
        } else if (key == "handler") {
          p.handler = value == "swallow"   ? handler_mode::swallow
                      : value == "replace" ? handler_mode::replace
                                           : handler_mode::none;
        } else {
          throw std::invalid_argument("header: unknown key '" + key + "'");
        }
      }
      continue;
    }
    body_lines.push_back(line);
  }
  if (body_lines.empty()) throw std::invalid_argument("no bodies");
  const int tasklets = static_cast<int>(body_lines.size());
  for (int t = 0; t < tasklets; ++t) {
    const std::string& body = body_lines[static_cast<std::size_t>(t)];
    const auto colon = body.find(':');
    if (colon == std::string::npos || body[0] != 't')
      throw std::invalid_argument("body line: '" + body + "'");
    std::istringstream head(body.substr(0, colon));
    std::string name;
    std::string depth;
    head >> name >> depth;
    if (parse_int(name.substr(1), body) != t)
      throw std::invalid_argument("bodies must be t0, t1, ... in order");
    p.body_depth.push_back(depth.empty() ? 0
                                         : parse_int(depth.substr(1), body));
    std::vector<operation> ops;
    std::string rest = body.substr(colon + 1);
    std::size_t start = 0;
    while (start <= rest.size()) {
      const auto semi = rest.find(';', start);
      const std::string one = trim(rest.substr(
          start, semi == std::string::npos ? std::string::npos : semi - start));
      if (!one.empty())
        ops.push_back(parse_operation(one, tasklets, p.channels));
      if (semi == std::string::npos) break;
      start = semi + 1;
    }
    p.bodies.push_back(ops);
  }
  return p;
}

}  // namespace slp_model
