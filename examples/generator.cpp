// SPDX-License-Identifier: MIT
// A generator built from one tasklet: the body produces values with
// yield(), the consumer pulls them with next(). The read this first
// example of slp: run(), switch_to() and kill-on-last-handle at work.
//
//   $ ./generator
//   fibonacci: 0 1 1 2 3 5 8 13 21 34
//   squares until 50: 0 1 4 9 16 25 36 49
//   abandoned generator cleaned up: yes
#include <cstdio>
#include <functional>
#include <optional>
#include <slp/slp.hpp>
#include <utility>

template <class T>
class generator {
 public:
  explicit generator(std::function<void(generator&)> body)
      : worker_([this, body = std::move(body)] {
          body(*this);
          done_ = true;  // ending switches back: the consumer is next
        }) {
    worker_.setup();
    worker_.remove();  // paused until the first next()
  }

  // next: runs the body until it yields a value (or ends).
  std::optional<T> next() {
    if (done_) return std::nullopt;
    consumer_ = slp::current();
    value_.reset();
    worker_.run();  // a paused target lands just before us: we are next
    return std::move(value_);
  }

  // yield: hands `v` to the consumer and pauses the body until next().
  void yield(T v) {
    value_ = std::move(v);
    consumer_->switch_to();
  }

 private:
  slp::tasklet worker_;
  std::optional<slp::tasklet> consumer_;
  std::optional<T> value_;
  bool done_ = false;
};

struct cleanup_flag {
  bool* flag;
  ~cleanup_flag() { *flag = true; }
};

int main() {
  generator<long> fibonacci([](generator<long>& g) {
    long a = 0, b = 1;
    for (int i = 0; i < 10; ++i) {
      g.yield(a);
      b = std::exchange(a, b) + b;
    }
  });
  std::printf("fibonacci:");
  while (auto v = fibonacci.next()) std::printf(" %ld", *v);
  std::printf("\n");

  generator<int> squares([](generator<int>& g) {
    for (int i = 0;; ++i) g.yield(i * i);  // endless
  });
  std::printf("squares until 50:");
  for (auto v = squares.next(); v && *v < 50; v = squares.next()) {
    std::printf(" %d", *v);
  }
  std::printf("\n");

  // A generator dropped half-way: its tasklet is killed, its stack unwinds.
  bool cleaned = false;
  {
    generator<int> abandoned([&cleaned](generator<int>& g) {
      cleanup_flag on_exit{&cleaned};
      for (int i = 0;; ++i) g.yield(i);
    });
    abandoned.next();
  }
  std::printf("abandoned generator cleaned up: %s\n", cleaned ? "yes" : "no");
  return cleaned ? 0 : 1;
}
