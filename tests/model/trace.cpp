// SPDX-License-Identifier: MIT
#include "trace.hpp"

namespace slp_model {

std::string to_text(const snapshot& s) {
  std::string out = "run=" + std::to_string(s.run_count) + " ring=[";
  for (std::size_t i = 0; i < s.ring.size(); ++i)
    out += (i ? "," : "") + std::to_string(s.ring[i]);
  out += "]";
  for (std::size_t c = 0; c < s.channels.size(); ++c) {
    const channel_view& ch = s.channels[c];
    out += " c" + std::to_string(c) + ":" + std::to_string(ch.balance);
    if (ch.closing) out += "x";
    if (ch.preference != -1) out += "p" + std::to_string(ch.preference);
    if (ch.schedule_all) out += "a";
    out += "[";
    for (std::size_t i = 0; i < ch.queue.size(); ++i)
      out += (i ? "," : "") + std::to_string(ch.queue[i]);
    out += "]";
  }
  out += " st=" + s.states;
  if (s.atomic) out += " atomic";
  if (s.block_trap) out += " block_trap";
  if (!s.problems.empty()) out += " !" + s.problems;
  return out;
}

std::string start_event(int self, std::size_t pc, const operation& op) {
  return "t" + std::to_string(self) + "#" + std::to_string(pc) + " > " +
         to_text(op);
}

std::string end_event(int self, std::size_t pc, const std::string& outcome,
                      const snapshot& s) {
  return "t" + std::to_string(self) + "#" + std::to_string(pc) + " < " +
         outcome + " | " + to_text(s);
}

std::string begin_event(int self, const snapshot& s) {
  return "t" + std::to_string(self) + " begin | " + to_text(s);
}

std::string body_end_event(int self, const std::string& outcome,
                           const snapshot& s) {
  return "t" + std::to_string(self) + " end " + outcome + " | " + to_text(s);
}

std::string handler_event(int self, const std::string& outcome) {
  return "t" + std::to_string(self) + " handler " + outcome;
}

std::string state_letter(bool current, bool blocked, bool scheduled,
                         bool paused, bool alive, bool restorable) {
  std::string letter;
  if (current) {
    letter = "c";
  } else if (blocked) {
    letter = "b";
  } else if (scheduled) {
    letter = "r";
  } else if (paused) {
    letter = "p";
  } else if (alive) {
    letter = "?";  // alive, yet neither scheduled nor paused
  } else {
    letter = "n";
  }
  if (alive && restorable) letter += "*";
  return letter;
}

}  // namespace slp_model
