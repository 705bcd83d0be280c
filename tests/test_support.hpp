// SPDX-License-Identifier: MIT
// Test support for the tasklet-level tests: a fixture that checks, after
// every test, that the scheduler is back where it started and that no
// tasklet leaked, plus small helpers for traces and expected errors.
#ifndef SLP_TESTS_TEST_SUPPORT_HPP
#define SLP_TESTS_TEST_SUPPORT_HPP

#include <gtest/gtest.h>

#include <atomic>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "core/tasklet_impl.hpp"
#include "slp/slp.hpp"

namespace slp::test {

// SlpTest: every test starts and must end with main alone and running,
// no switch trap, no error handler, and no tasklet object left over.
class SlpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(run_count(), 1u);
    ASSERT_TRUE(current().is_main());
    live_before_ = core::tasklet_impl::live_count();
  }
  void TearDown() override {
    EXPECT_EQ(run_count(), 1u) << "runnables left behind";
    EXPECT_TRUE(current().is_main());
    EXPECT_EQ(switch_trap(0), 0) << "switch_trap left set";
    EXPECT_FALSE(set_error_handler(nullptr)) << "error handler left set";
    EXPECT_EQ(core::tasklet_impl::live_count(), live_before_)
        << "tasklets leaked";
  }

 private:
  std::size_t live_before_ = 0;
};

// destructor_counter: RAII on a tasklet's stack; counts its destruction.
struct destructor_counter {
  explicit destructor_counter(int* c) : count(c) {}
  destructor_counter(const destructor_counter&) = delete;
  destructor_counter& operator=(const destructor_counter&) = delete;
  ~destructor_counter() { ++*count; }
  int* count;
};

// counted: a payload that counts its live instances (in any thread), to
// see that a value left in a channel's care is destroyed exactly once.
struct counted {
  static inline std::atomic<int> live{0};
  explicit counted(std::string t) : text(std::move(t)) { ++live; }
  counted(const counted& other) : text(other.text) { ++live; }
  counted(counted&& other) noexcept : text(std::move(other.text)) { ++live; }
  counted& operator=(const counted&) = delete;
  counted& operator=(counted&&) = delete;
  ~counted() { --live; }
  std::string text;
};

// hooks_reset: removes every monitoring hook at scope exit, even after a
// failed assertion.
struct hooks_reset {
  ~hooks_reset() {
    set_channel_callback(nullptr);
    set_schedule_callback(nullptr);
    set_schedule_fasthook(nullptr, nullptr);
  }
};

// what_of: the message of the exception in `e`, "none" when it is empty.
inline std::string what_of(const std::exception_ptr& e) {
  if (!e) return "none";
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    return x.what();
  } catch (...) {
    return "not a std::exception";
  }
}

// trace: the order in which things happened.
using trace = std::vector<std::string>;

// expect_error<E>(fn, text): fn() throws exactly an E (or a subtype)
// whose message contains `text`.
template <class E, class F>
void expect_error(F&& fn, const std::string& text) {
  try {
    fn();
    ADD_FAILURE() << "no exception; expected one containing \"" << text << "\"";
  } catch (const E& e) {
    EXPECT_NE(std::string(e.what()).find(text), std::string::npos)
        << "message \"" << e.what() << "\" lacks \"" << text << "\"";
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception type: " << e.what();
  }
}

// ring: the runnables in order, starting at the current tasklet, as ids.
inline std::vector<std::uint64_t> ring() {
  std::vector<std::uint64_t> ids;
  tasklet start = current();
  std::optional<tasklet> t = start;
  do {
    ids.push_back(t->id());
    t = t->next();
  } while (t && *t != start && ids.size() < 1000);
  return ids;
}

}  // namespace slp::test

#endif  // SLP_TESTS_TEST_SUPPORT_HPP
