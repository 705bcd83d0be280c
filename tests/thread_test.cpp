// SPDX-License-Identifier: MIT
// Threads (API.md §8, §3.2, §3.4; SB §2.4, §2.7, §3.6 and SB §8 group K):
// a scheduler per thread, operations on another thread's tasklets (run,
// insert, remove, kill, throw_exception) that have taken effect when they
// return while the code runs in the owning thread, the take-over idiom
// (remove, bind_thread, run elsewhere), switch_to and bind_thread across
// threads, channels
// shared between threads (hand-offs, wake-ups, balance, queue, close),
// sleeping instead of deadlock while another thread could still wake the
// sleeper, the hooks in every thread, the end of a thread whose tasklets
// wait on shared channels, and a stress test of messages relayed around
// rings of channels that cross threads.
//
// Each test names the Stackless case it follows where there is one
// (reference/stackless-behaviour.md §8, "SB n"). Expected values are derived
// from the contract, never read back from the library.
//
// The threads of a test are ordered with std::mutex / std::condition_variable
// (`steps`) or by polling a channel's balance for a state the other thread
// reaches by construction; nothing waits on a clock for correctness. A
// thread parked outside slp counts as awake for slp (it could still post a
// request), so a mistake here hangs instead of raising deadlock_error: the
// orders below are chosen so that every wait ends.
#include <gtest/gtest.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <numeric>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "slp/slp.hpp"
#include "test_support.hpp"

namespace slp::test {
namespace {

class ThreadTest : public SlpTest {};

// --- helpers ---

// steps: a step number two threads wait on, outside slp.
class steps {
 public:
  void reach(int n) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      step_ = n;
    }
    changed_.notify_all();
  }
  void wait_for(int n) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return step_ >= n; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  int step_ = 0;
};

// start_line: `count` threads wait until all have arrived (C++17 has no
// std::barrier).
class start_line {
 public:
  explicit start_line(int count) : waiting_(count) {}
  void arrive_and_wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    if (--waiting_ == 0) {
      all_here_.notify_all();
      return;
    }
    all_here_.wait(lock, [&] { return waiting_ == 0; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable all_here_;
  int waiting_;
};

// worker_thread: a std::thread that reports an escaping exception as a test
// failure and is joined when it goes out of scope.
class worker_thread {
 public:
  template <class F>
  explicit worker_thread(F fn)
      : thread_([fn = std::move(fn)]() mutable {
          try {
            fn();
          } catch (const std::exception& e) {
            ADD_FAILURE() << "exception escaped a worker thread: " << e.what();
          } catch (...) {
            ADD_FAILURE() << "unknown exception escaped a worker thread";
          }
        }) {}
  worker_thread(const worker_thread&) = delete;
  worker_thread& operator=(const worker_thread&) = delete;
  ~worker_thread() { join(); }
  void join() {
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::thread thread_;
};

// item: v[i] for the int indices the tests count with.
template <class V>
auto& item(V& v, int i) {
  return v[static_cast<std::size_t>(i)];
}

// wait_until: polls `holds` until it is true. Only for a state the other
// thread reaches by construction (e.g. "it is blocked on the channel").
template <class P>
void wait_until(P holds) {
  while (!holds()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

// deadlock_retries: counts deadlock_error raised while another thread still
// had work for the caller, which API.md §8 does not allow: the tests that
// use it expect 0. The failed operation changed nothing (API.md §1), so
// patiently() retries it: a wrong deadlock_error fails the test instead of
// leaving the other threads waiting forever. After `limit` retries (a real
// deadlock of the test itself) it gives up and rethrows.
class deadlock_retries {
 public:
  template <class Op>
  auto patiently(Op op) -> decltype(op()) {
    for (;;) {
      try {
        return op();
      } catch (const deadlock_error& e) {
        if (count_.fetch_add(1) + 1 >= limit) throw;
        std::lock_guard<std::mutex> lock(mutex_);
        if (first_.empty()) first_ = e.what();
      }
      std::this_thread::yield();
    }
  }
  [[nodiscard]] int count() const { return count_.load(); }
  [[nodiscard]] std::string first() {
    std::lock_guard<std::mutex> lock(mutex_);
    return first_;
  }

 private:
  static constexpr int limit = 100000;
  std::atomic<int> count_{0};
  std::mutex mutex_;
  std::string first_;
};

// tasklet_group: tasklets of the calling thread and a wait() for all of them
// that blocks in slp, so the thread sleeps while they wait on other threads.
// Each tasklet reports its end on `done_`, whose preference favours the
// sender: the tasklet ends while the thread's main is runnable, so no
// tasklet of a group ever ends while main is blocked with nothing runnable
// (that case has its own test).
class tasklet_group {
 public:
  explicit tasklet_group(deadlock_retries* retries = nullptr)
      : retries_(retries) {
    done_.set_preference(1);
  }
  template <class F>
  void spawn(F fn) {
    tasklet{[done = done_, fn = std::move(fn)]() mutable {
      fn();
      done.send(true);
    }}();
    ++running_;
  }
  void wait() {
    for (; running_ > 0; --running_) {
      if (retries_ != nullptr) {
        retries_->patiently([&] { return done_.receive(); });
      } else {
        done_.receive();
      }
    }
  }

 private:
  deadlock_retries* retries_;
  channel<bool> done_;
  int running_ = 0;
};

// destructor_log: RAII on a tasklet's stack; counts its destruction and
// remembers the thread it happened in.
struct destructor_log {
  destructor_log(int* count, std::thread::id* thread)
      : count_(count), thread_(thread) {}
  destructor_log(const destructor_log&) = delete;
  destructor_log& operator=(const destructor_log&) = delete;
  ~destructor_log() {
    ++*count_;
    *thread_ = std::this_thread::get_id();
  }
  int* count_;
  std::thread::id* thread_;
};

// thread_cpu_seconds: CPU time the calling thread has used.
double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) +
         static_cast<double>(ts.tv_nsec) * 1e-9;
}

// --- K. Threads (SB 107–110) ---

// SB 107 (TestRemoteSchedule.testRun): a tasklet created in another thread
// and removed there; run() from main makes it runnable in its own thread
// and main does not switch. The worker waits outside slp until main is
// done, then reaches a scheduling point (run()), where the request is
// applied and the tasklet runs — in the worker, as its thread id shows.
TEST_F(ThreadTest, K107_RunOfARemoteTaskletRunsItInItsOwnThread) {
  steps step;
  std::optional<tasklet> t;
  std::thread::id worker_id;
  std::thread::id ran_in;
  std::thread::id ran_as;  // current().thread_id() while it ran
  int runs = 0;
  {
    worker_thread worker([&] {
      worker_id = std::this_thread::get_id();
      t.emplace([&] {
        ++runs;
        ran_in = std::this_thread::get_id();
        ran_as = current().thread_id();
      });
      (*t)();
      t->remove();
      EXPECT_TRUE(t->paused());
      EXPECT_EQ(run_count(), 1u);
      step.reach(1);
      step.wait_for(2);
      EXPECT_FALSE(run().has_value());  // applies main's run(); t runs
      EXPECT_EQ(runs, 1);
      EXPECT_FALSE(t->alive());
    });
    step.wait_for(1);
    EXPECT_EQ(t->thread_id(), worker_id);
    t->run();
    // The caller does not switch; the owner is not at a scheduling point
    // yet, so t has not run.
    EXPECT_TRUE(current().is_main());
    EXPECT_EQ(run_count(), 1u);
    EXPECT_EQ(runs, 0);
    step.reach(2);
  }
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(ran_in, worker_id);
  EXPECT_EQ(ran_as, worker_id);
  EXPECT_NE(ran_in, std::this_thread::get_id());
}

// SB 107 / SB §2.4 "that thread is unblocked": the owner sleeps in slp (its
// main waits on a channel, nothing else runnable); run() from main wakes
// it, and the tasklet runs there.
TEST_F(ThreadTest, K107_RunOfARemoteTaskletWakesItsSleepingThread) {
  std::promise<tasklet> handed;
  std::optional<tasklet> t;  // dropped after the worker has ended
  std::thread::id worker_id;
  std::thread::id ran_in;
  {
    worker_thread worker([&] {
      worker_id = std::this_thread::get_id();
      channel<std::thread::id> done;
      tasklet own{[done]() mutable { done.send(std::this_thread::get_id()); }};
      own();
      own.remove();
      handed.set_value(own);
      ran_in = done.receive();  // sleeps until main's run() arrives
      EXPECT_FALSE(run().has_value());
      EXPECT_FALSE(own.alive());
    });
    t = handed.get_future().get();
    t->run();
    EXPECT_TRUE(current().is_main());
    EXPECT_EQ(run_count(), 1u);
  }
  EXPECT_EQ(ran_in, worker_id);
}

// SB 107 (testRunOrder): main, atomic, calls t2.insert(); t3.insert();
// t1.run() on three paused tasklets of a worker that is running (not asleep
// in slp). A remote insert() links at the tail of that thread's runnables,
// a remote run() right after its current tasklet (SB §2.4, §2.3), so when
// the worker reaches a scheduling point they run t1, t2, t3.
TEST_F(ThreadTest, K107_RemoteRunGoesAheadOfRemoteInserts) {
  steps step;
  std::vector<tasklet> ts;
  trace log;  // written by the worker only
  {
    worker_thread worker([&] {
      for (int i = 1; i <= 3; ++i) {
        tasklet t{[&log, i] { log.push_back("t" + std::to_string(i)); }};
        t();
        t.remove();
        ts.push_back(t);
      }
      step.reach(1);
      step.wait_for(2);
      schedule();  // applies the requests, then runs the others
      log.push_back("worker main");
      EXPECT_FALSE(run().has_value());
    });
    step.wait_for(1);
    {
      atomic_guard atomic;
      ts[1].insert();
      ts[2].insert();
      ts[0].run();
    }
    EXPECT_TRUE(current().is_main());
    EXPECT_EQ(run_count(), 1u);
    step.reach(2);
  }
  EXPECT_EQ(log, (trace{"t1", "t2", "t3", "worker main"}));
}

// SB 108 (TestRemove): remove() and insert() of a remote scheduled tasklet
// change only its own thread's runnables; the local run count is unchanged.
TEST_F(ThreadTest, K108_RemoteRemoveAndInsertLeaveTheLocalRunCount) {
  steps step;
  std::optional<tasklet> t;
  trace log;  // written by the worker only
  {
    worker_thread worker([&] {
      t.emplace([&] { log.push_back("t ran"); });
      (*t)();
      EXPECT_EQ(run_count(), 2u);
      step.reach(1);
      step.wait_for(2);  // main's remove() has happened meanwhile
      log.push_back("run count " + std::to_string(run_count()));
      log.push_back(t->paused() ? "t paused" : "t not paused");
      step.reach(3);
      step.wait_for(4);
      log.push_back("run count " + std::to_string(run_count()));
      EXPECT_FALSE(run().has_value());  // main's insert() made t runnable
      log.push_back("worker done");
    });
    step.wait_for(1);
    EXPECT_EQ(run_count(), 1u);
    t->remove();  // while the worker waits outside slp
    EXPECT_TRUE(t->paused());
    EXPECT_FALSE(t->scheduled());
    EXPECT_EQ(run_count(), 1u);
    EXPECT_TRUE(current().is_main());
    step.reach(2);
    step.wait_for(3);
    t->insert();
    EXPECT_TRUE(t->scheduled());
    EXPECT_FALSE(t->paused());
    EXPECT_EQ(run_count(), 1u);
    EXPECT_TRUE(current().is_main());
    step.reach(4);
  }
  EXPECT_EQ(log, (trace{"run count 1", "t paused", "run count 2", "t ran",
                        "worker done"}));
}

// API.md §8, SB §2.3/§2.7: the take-over idiom. A tasklet made runnable in
// a worker thread, which then waits outside slp and never schedules, is
// removed by main (paused when remove() returns, the worker's run count
// down by one), adopted with bind_thread(), and run in main, where its
// destructors run too.
TEST_F(ThreadTest, TakeOverRemoveBindThreadAndRunInAnotherThread) {
  struct note_thread {
    std::thread::id* where;
    ~note_thread() { *where = std::this_thread::get_id(); }
  };
  steps step;
  std::optional<tasklet> t;
  std::thread::id ran_in, destroyed_in;
  std::size_t worker_count_before = 0, worker_count_after = 0;
  {
    worker_thread worker([&] {
      t.emplace([&] {
        note_thread d{&destroyed_in};
        ran_in = std::this_thread::get_id();
        schedule();
      });
      (*t)();  // runnable here
      worker_count_before = run_count();
      step.reach(1);
      step.wait_for(2);  // busy outside slp
      worker_count_after = run_count();
    });
    step.wait_for(1);
    EXPECT_TRUE(t->scheduled());
    t->remove();
    EXPECT_TRUE(t->paused());
    t->bind_thread();
    EXPECT_EQ(t->thread_id(), std::this_thread::get_id());
    t->run();  // here, until its schedule()
    EXPECT_EQ(ran_in, std::this_thread::get_id());
    EXPECT_EQ(destroyed_in, std::thread::id());
    EXPECT_EQ(run_count(), 2u);
    schedule();  // it ends
    EXPECT_EQ(destroyed_in, std::this_thread::get_id());
    EXPECT_FALSE(t->alive());
    step.reach(2);
  }
  EXPECT_EQ(worker_count_before, 2u);
  EXPECT_EQ(worker_count_after, 1u);
}

// API.md §8: a remote insert() and kill() have changed their targets'
// state when they return, while the owning thread waits outside slp: the
// paused one is scheduled, the blocked one is no longer blocked and the
// channel's balance is back to 0. Their code runs later in their own
// thread, in the order the calls made them runnable.
TEST_F(ThreadTest, RemoteInsertAndKillTakeEffectBeforeTheyReturn) {
  steps step;
  channel<int> c;
  std::optional<tasklet> paused, blocked;
  trace log;  // written by the worker only
  {
    worker_thread worker([&] {
      paused.emplace([&] { log.push_back("paused ran"); });
      blocked.emplace([&] {
        try {
          c.receive();
        } catch (const tasklet_exit&) {
          log.push_back("blocked killed");
          throw;
        }
      });
      (*paused)();
      paused->remove();
      (*blocked)();
      EXPECT_FALSE(run().has_value());  // blocked waits on c
      step.reach(1);
      step.wait_for(2);
      EXPECT_FALSE(run().has_value());
      log.push_back("worker done");
    });
    step.wait_for(1);
    EXPECT_EQ(c.balance(), -1);
    EXPECT_TRUE(paused->paused());
    paused->insert();
    EXPECT_TRUE(paused->scheduled());
    EXPECT_TRUE(blocked->blocked());
    blocked->kill();
    EXPECT_FALSE(blocked->blocked());
    EXPECT_TRUE(blocked->scheduled());
    EXPECT_EQ(c.balance(), 0);
    step.reach(2);
  }
  EXPECT_EQ(log, (trace{"paused ran", "blocked killed", "worker done"}));
  EXPECT_FALSE(blocked->alive());
}

// API.md §8 (DESIGN.md, "Threads"): a hook runs inside an operation of its
// thread, so it cannot act on another thread's tasklet (two threads in
// hooks could wait for each other): slp::error naming the operation, and
// the target is as it was.
TEST_F(ThreadTest, AHookCannotActOnAnotherThreadsTasklet) {
  steps step;
  std::optional<tasklet> paused;
  {
    worker_thread worker([&] {
      paused.emplace([] {});
      (*paused)();
      paused->remove();
      step.reach(1);
      step.wait_for(2);
    });
    step.wait_for(1);
    std::string refused;
    set_schedule_callback(
        [&](const std::optional<tasklet>&, const std::optional<tasklet>&) {
          if (!refused.empty()) return;
          try {
            paused->insert();
            refused = "no error";
          } catch (const error& e) {
            refused = e.what();
          }
        });
    tasklet other([] {});
    other();
    schedule();  // the hook runs at this switch
    set_schedule_callback(nullptr);
    EXPECT_EQ(refused,
              "slp::tasklet::insert: can't act on another thread's tasklet "
              "from inside a hook or anything else slp runs in the middle of "
              "an operation");
    EXPECT_TRUE(paused->paused());
    step.reach(2);
  }
}

// API.md §8 under load: while a worker switches among its tasklets as fast
// as it can, main removes one of them and inserts it again, hundreds of
// times. A removal refused because the target was the worker's current
// tasklet changes nothing; a removal that succeeds has made it paused on
// return, and it does not run until it is inserted again, while the others
// keep running.
TEST_F(ThreadTest, RemoteRemoveAndInsertWhileTheOwnerSwitches) {
  std::atomic<bool> stop{false};
  std::atomic<bool> ready{false};
  std::atomic<long> target_runs{0}, other_runs{0};
  std::optional<tasklet> target;
  int removed = 0;
  {
    worker_thread worker([&] {
      target.emplace([&] {
        while (!stop.load()) {
          ++target_runs;
          schedule();
        }
      });
      (*target)();
      std::vector<tasklet> others;
      for (int i = 0; i < 3; ++i) {
        others.emplace_back([&] {
          while (!stop.load()) {
            ++other_runs;
            schedule();
          }
        });
        others.back()();
      }
      ready = true;
      while (!stop.load()) schedule();
      EXPECT_FALSE(run().has_value());
    });
    wait_until([&] { return ready.load(); });
    while (removed < 300) {
      try {
        target->remove();
      } catch (const error& e) {
        EXPECT_EQ(std::string(e.what()),
                  "slp::tasklet::remove: The current tasklet cannot be "
                  "removed.");
        EXPECT_TRUE(target->scheduled());
        continue;
      }
      ++removed;
      EXPECT_TRUE(target->paused());
      const long runs = target_runs.load();
      const long others_then = other_runs.load();
      while (other_runs.load() < others_then + 10) std::this_thread::yield();
      EXPECT_EQ(target_runs.load(), runs);
      target->insert();
      EXPECT_TRUE(target->scheduled());
    }
    stop = true;
  }
  EXPECT_EQ(removed, 300);
  EXPECT_FALSE(target->alive());
}

// SB 109 (DeadThreadTest.test_death, test_rebind_from_dead, test_methods_on
// _dead): tasklets of a thread that has ended are not alive and have no
// thread (std::thread::id()); the started one was killed (its destructor
// ran), the set-up one never ran. On them insert / run / switch_to / setup
// fail ("no thread"); remove and kill do nothing. bind_thread() moves one
// here, where it can be set up and run.
TEST_F(ThreadTest, K109_TaskletsOfAnEndedThread) {
  std::optional<tasklet> bound_only, set_up, started;
  std::thread::id worker_id;
  std::thread::id ran_in;
  bool set_up_ran = false;
  int started_destroyed = 0;
  std::thread::id started_destroyed_in;
  {
    worker_thread worker([&] {
      worker_id = std::this_thread::get_id();
      bound_only.emplace([&] { ran_in = std::this_thread::get_id(); });
      set_up.emplace([&] { set_up_ran = true; });
      (*set_up)();
      started.emplace([&] {
        destructor_log d{&started_destroyed, &started_destroyed_in};
        schedule_remove();
      });
      (*started)();
      started->run();  // it parks itself
      EXPECT_TRUE(started->paused());
      EXPECT_EQ(bound_only->thread_id(), worker_id);
      EXPECT_EQ(set_up->thread_id(), worker_id);
    });
  }
  for (const tasklet* t : {&*bound_only, &*set_up, &*started}) {
    EXPECT_FALSE(t->alive());
    EXPECT_FALSE(t->scheduled());
    EXPECT_EQ(t->thread_id(), std::thread::id());
  }
  EXPECT_FALSE(set_up_ran) << "a tasklet that never started must not run";
  EXPECT_EQ(started_destroyed, 1);
  EXPECT_EQ(started_destroyed_in, worker_id);

  tasklet& t = *bound_only;
  expect_error<error>([&] { t.insert(); }, "no thread");
  expect_error<error>([&] { t.run(); }, "no thread");
  expect_error<error>([&] { t.switch_to(); }, "no thread");
  expect_error<error>([&] { t(); }, "no thread");
  t.remove();
  t.kill();
  t.throw_exception(std::make_exception_ptr(tasklet_exit()));
  EXPECT_FALSE(t.alive());
  EXPECT_EQ(t.thread_id(), std::thread::id());

  t.bind_thread();
  EXPECT_EQ(t.thread_id(), std::this_thread::get_id());
  EXPECT_FALSE(t.alive());
  t();
  EXPECT_TRUE(t.alive());
  t.run();
  EXPECT_EQ(ran_in, std::this_thread::get_id());
  EXPECT_FALSE(t.alive());

  std::thread::id rebound_ran_in;
  set_up->bind_thread();
  EXPECT_EQ(set_up->thread_id(), std::this_thread::get_id());
  set_up->bind([&] { rebound_ran_in = std::this_thread::get_id(); });
  (*set_up)();
  set_up->run();
  EXPECT_EQ(rebound_ran_in, std::this_thread::get_id());
  EXPECT_FALSE(set_up_ran);
  EXPECT_EQ(run_count(), 1u);
}

// SB 109 (DeadThreadTest.test_bind_runnable) and the contract of
// bind_thread(): a remote runnable tasklet → slp::error "runnable"; a
// remote started (paused) one → slp::error "C state"; neither changes. A
// remote tasklet that is bound but not set up moves here and runs here;
// bind_thread() of a tasklet of this thread is a no-op.
TEST_F(ThreadTest, K109_BindThreadOfARemoteTasklet) {
  steps step;
  std::optional<tasklet> runnable, started, fresh;
  std::thread::id worker_id;
  trace log;  // written by the worker only until it ends
  std::thread::id fresh_ran_in;
  {
    worker_thread worker([&] {
      worker_id = std::this_thread::get_id();
      runnable.emplace([&] { log.push_back("runnable ran"); });
      (*runnable)();
      started.emplace([&] {
        schedule_remove();
        log.push_back("started resumed");
      });
      (*started)();
      started->run();
      fresh.emplace([&] { fresh_ran_in = std::this_thread::get_id(); });
      step.reach(1);
      step.wait_for(2);
      EXPECT_EQ(run_count(), 2u);  // main and `runnable`
      EXPECT_FALSE(run().has_value());
      started->insert();
      EXPECT_FALSE(run().has_value());
    });
    step.wait_for(1);
    expect_error<error>([&] { runnable->bind_thread(); }, "runnable");
    EXPECT_EQ(runnable->thread_id(), worker_id);
    EXPECT_TRUE(runnable->scheduled());
    EXPECT_TRUE(runnable->alive());
    expect_error<error>([&] { started->bind_thread(); }, "C state");
    EXPECT_EQ(started->thread_id(), worker_id);
    EXPECT_TRUE(started->paused());
    EXPECT_FALSE(started->restorable());

    fresh->bind_thread();
    EXPECT_EQ(fresh->thread_id(), std::this_thread::get_id());
    (*fresh)();
    fresh->run();
    EXPECT_FALSE(fresh->alive());

    tasklet local{[] {}};
    local.bind_thread();
    EXPECT_EQ(local.thread_id(), std::this_thread::get_id());
    EXPECT_TRUE(current().is_main());
    EXPECT_EQ(run_count(), 1u);
    step.reach(2);
  }
  EXPECT_EQ(fresh_ran_in, std::this_thread::get_id());
  EXPECT_EQ(log, (trace{"runnable ran", "started resumed"}));
}

// SB 110 (SwitchTest.test_switch): switch_to() of a remote paused tasklet →
// slp::error "different thread", and nothing changed on either side.
TEST_F(ThreadTest, K110_SwitchToARemotePausedTaskletFails) {
  steps step;
  std::optional<tasklet> t;
  std::thread::id worker_id;
  std::thread::id ran_in;
  {
    worker_thread worker([&] {
      worker_id = std::this_thread::get_id();
      t.emplace([&] { ran_in = std::this_thread::get_id(); });
      (*t)();
      t->remove();
      step.reach(1);
      step.wait_for(2);
      EXPECT_EQ(run_count(), 1u);
      EXPECT_TRUE(t->paused());
      t->run();
    });
    step.wait_for(1);
    expect_error<error>([&] { t->switch_to(); }, "different thread");
    EXPECT_TRUE(current().is_main());
    EXPECT_EQ(run_count(), 1u);
    EXPECT_TRUE(t->paused());
    EXPECT_TRUE(t->restorable());
    EXPECT_EQ(t->thread_id(), worker_id);
    step.reach(2);
  }
  EXPECT_EQ(ran_in, worker_id);
}

// API.md §8, SB §2.3–§2.5: a remote request that the owning thread would
// refuse is refused in the caller, with the owning thread's error, and
// nothing is posted: run() / insert() / remove() of a blocked tasklet,
// insert() / run() of a finished one and of one never set up,
// throw_exception() of a finished one. kill() and a tasklet_exit thrown to
// a finished one are no-ops, as in the owning thread. The worker's state
// is unchanged afterwards: its tasklet still blocked, the balance still
// -1, nothing made runnable. (remove() of the owner's running main is
// still only queued and ignored there.)
TEST_F(ThreadTest, RemoteRequestsRaiseTheOwningThreadsErrorsInTheCaller) {
  steps step;
  channel<int> c;
  std::optional<tasklet> blocked, finished, bound_only, worker_main;
  int got = 0;
  trace log;  // written by the worker only
  {
    worker_thread worker([&] {
      blocked.emplace([&] { got = c.receive(); });
      finished.emplace([] {});
      bound_only.emplace([] {});
      (*blocked)();
      (*finished)();
      EXPECT_FALSE(run().has_value());
      worker_main = main_tasklet();
      step.reach(1);
      step.wait_for(2);
      schedule();  // applies whatever was posted
      log.push_back(blocked->blocked() ? "blocked" : "not blocked");
      log.push_back(finished->alive() ? "finished alive" : "finished dead");
      log.push_back(bound_only->alive() ? "bound alive" : "bound not alive");
      log.push_back("run count " + std::to_string(run_count()));
      log.push_back(current().is_main() ? "main current" : "main not current");
      log.push_back("balance " + std::to_string(c.balance()));
      step.reach(3);
      step.wait_for(4);
      EXPECT_FALSE(run().has_value());  // main's send made it runnable
      log.push_back("got " + std::to_string(got));
    });
    step.wait_for(1);
    EXPECT_EQ(c.balance(), -1);
    auto expect_message = [](auto fn, const std::string& text) {
      try {
        fn();
        ADD_FAILURE() << "no error; expected \"" << text << "\"";
      } catch (const error& e) {
        EXPECT_EQ(std::string(e.what()), text);
      }
    };
    expect_message([&] { blocked->run(); },
                   "slp::tasklet::run: You cannot run a blocked tasklet");
    expect_message([&] { blocked->insert(); },
                   "slp::tasklet::insert: You cannot run a blocked tasklet");
    expect_message(
        [&] { blocked->remove(); },
        "slp::tasklet::remove: You cannot remove a blocked tasklet.");
    expect_message(
        [&] { finished->insert(); },
        "slp::tasklet::insert: You cannot run an unbound(dead) tasklet");
    expect_message(
        [&] { finished->run(); },
        "slp::tasklet::run: You cannot run an unbound(dead) tasklet");
    expect_message(
        [&] { bound_only->insert(); },
        "slp::tasklet::insert: You cannot run an unbound(dead) tasklet");
    expect_message(
        [&] { bound_only->run(); },
        "slp::tasklet::run: You cannot run an unbound(dead) tasklet");
    expect_message(
        [&] {
          finished->throw_exception(
              std::make_exception_ptr(std::runtime_error("x")));
        },
        "slp::tasklet::throw_exception: You cannot throw to a dead tasklet");
    finished->kill();
    finished->throw_exception(std::make_exception_ptr(tasklet_exit()));
    bound_only->kill();
    // The worker's main runs (in step.wait_for): it is its thread's current
    // tasklet (SB §2.3).
    expect_message(
        [&] { worker_main->remove(); },
        "slp::tasklet::remove: The current tasklet cannot be removed.");
    EXPECT_TRUE(blocked->blocked());
    EXPECT_FALSE(finished->alive());
    EXPECT_FALSE(bound_only->alive());
    EXPECT_TRUE(current().is_main());
    EXPECT_EQ(run_count(), 1u);
    step.reach(2);
    step.wait_for(3);
    c.send(5);
    EXPECT_EQ(c.balance(), 0);
    step.reach(4);
  }
  EXPECT_EQ(log, (trace{"blocked", "finished dead", "bound not alive",
                        "run count 1", "main current", "balance -1", "got 5"}));
}

// --- remote kill and throw (API.md §2.3, §8) ---

// kill() and throw_exception() on tasklets blocked in another thread, and
// kill() of one that has not started: delivered in their own thread (the
// destructor runs there, the exception is caught there, the unstarted one
// never runs), the caller does not switch, and the balance returns to 0.
TEST_F(ThreadTest, KillAndThrowReachTaskletsOfAnotherThread) {
  steps step;
  channel<std::string> c;
  std::optional<tasklet> killed, thrown, unstarted;
  std::thread::id worker_id;
  int destroyed = 0;
  std::thread::id destroyed_in;
  std::string caught;
  std::thread::id caught_in;
  trace log;  // written by the worker only
  {
    worker_thread worker([&] {
      worker_id = std::this_thread::get_id();
      killed.emplace([&] {
        destructor_log d{&destroyed, &destroyed_in};
        log.push_back("killed: got " + c.receive());
      });
      thrown.emplace([&] {
        try {
          log.push_back("thrown: got " + c.receive());
        } catch (const std::runtime_error& e) {
          caught = e.what();
          caught_in = std::this_thread::get_id();
        }
      });
      unstarted.emplace([&] { log.push_back("unstarted ran"); });
      (*killed)();
      (*thrown)();
      EXPECT_FALSE(run().has_value());
      EXPECT_EQ(c.balance(), -2);
      (*unstarted)();
      step.reach(1);
      step.wait_for(2);
      EXPECT_FALSE(run().has_value());  // applies the requests
      EXPECT_FALSE(killed->alive());
      EXPECT_FALSE(thrown->alive());
      EXPECT_FALSE(unstarted->alive());
      EXPECT_EQ(c.balance(), 0);
    });
    step.wait_for(1);
    killed->kill();
    thrown->throw_exception(
        std::make_exception_ptr(std::runtime_error("from main")));
    unstarted->kill();
    EXPECT_TRUE(current().is_main());
    EXPECT_EQ(run_count(), 1u);
    step.reach(2);
  }
  EXPECT_EQ(destroyed, 1);
  EXPECT_EQ(destroyed_in, worker_id);
  EXPECT_EQ(caught, "from main");
  EXPECT_EQ(caught_in, worker_id);
  EXPECT_TRUE(log.empty()) << "nothing may have received or run: "
                           << (log.empty() ? "" : log.front());
  EXPECT_EQ(c.balance(), 0);
  EXPECT_FALSE(c.queue());
}

// throw_exception() (raise_exception) into a remote paused tasklet whose
// thread sleeps in slp: the thread wakes and the exception is raised at the
// tasklet's suspension point, in its thread.
TEST_F(ThreadTest, ThrowIntoARemotePausedTaskletOfASleepingThread) {
  std::promise<tasklet> handed;
  std::optional<tasklet> t;  // dropped after the worker has ended
  std::thread::id worker_id;
  std::string caught;
  std::thread::id caught_in;
  {
    worker_thread worker([&] {
      worker_id = std::this_thread::get_id();
      channel<int> done;
      tasklet own{[&caught, &caught_in, done]() mutable {
        try {
          schedule_remove();
          caught = "resumed without an exception";
        } catch (const std::invalid_argument& e) {
          caught = e.what();
          caught_in = std::this_thread::get_id();
        }
        done.send(1);
      }};
      own();
      EXPECT_FALSE(run().has_value());  // it parks itself
      EXPECT_TRUE(own.paused());
      handed.set_value(own);
      EXPECT_EQ(done.receive(), 1);  // sleeps until the exception arrives
      EXPECT_FALSE(run().has_value());
      EXPECT_FALSE(own.alive());
    });
    t = handed.get_future().get();
    t->raise_exception<std::invalid_argument>("raised from main");
    EXPECT_TRUE(current().is_main());
    EXPECT_EQ(run_count(), 1u);
  }
  EXPECT_EQ(caught, "raised from main");
  EXPECT_EQ(caught_in, worker_id);
}

// API.md §2.3 and §3.3 across threads: an exception thrown from main into a
// remote tasklet that has not started kills it before its function runs,
// and is then an uncaught exception of that tasklet's own thread: the
// worker's run() rethrows it; main is not affected.
TEST_F(ThreadTest, ThrowIntoARemoteUnstartedTaskletSurfacesInItsThread) {
  steps step;
  std::optional<tasklet> t;
  bool ran = false;
  std::string surfaced;
  {
    worker_thread worker([&] {
      t.emplace([&] { ran = true; });
      (*t)();
      step.reach(1);
      step.wait_for(2);
      try {
        run();
        surfaced = "run() returned";
      } catch (const std::runtime_error& e) {
        surfaced = e.what();
      }
      EXPECT_FALSE(t->alive());
      EXPECT_EQ(run_count(), 1u);
    });
    step.wait_for(1);
    t->throw_exception(std::make_exception_ptr(std::runtime_error("early")));
    EXPECT_TRUE(current().is_main());
    EXPECT_EQ(run_count(), 1u);
    step.reach(2);
  }
  EXPECT_FALSE(ran);
  EXPECT_EQ(surfaced, "early");
}

// API.md §2: handles share ownership, and handles of one tasklet may be held
// and dropped in different threads (docs/DESIGN.md, "Decisions where the
// contract is silent", on a last handle dropped on another thread). Two threads
// drop their copies of the same tasklets at the same moment: each tasklet must
// be freed exactly once, after both drops, and nothing may touch it afterwards
// (ThreadSanitizer and AddressSanitizer watch). The fixture checks that none
// leaked.
TEST_F(ThreadTest, HandlesOfOneTaskletDroppedInTwoThreadsAtOnce) {
  constexpr int kTasklets = 2000;
  std::promise<std::vector<tasklet>> handed;
  start_line drop(2);
  std::vector<tasklet> copies;
  {
    worker_thread worker([&] {
      std::vector<tasklet> own;
      for (int i = 0; i < kTasklets; ++i) {
        own.emplace_back([] {});
        if (i % 2 == 0) {
          own.back()();  // half of them run and finish first
        }
      }
      EXPECT_FALSE(run().has_value());
      handed.set_value(own);
      drop.arrive_and_wait();
      own.clear();
    });
    copies = handed.get_future().get();
    drop.arrive_and_wait();
    copies.clear();
  }
  EXPECT_TRUE(copies.empty());
}

// --- channels shared between threads (API.md §4, §8) ---

// One thread's main sends N messages, another thread's main receives them:
// each arrives once, in order.
TEST_F(ThreadTest, MessagesFromOneThreadArriveInOrderInAnother) {
  constexpr int kMessages = 2000;
  channel<int> c;
  std::vector<int> got;
  got.reserve(kMessages);
  {
    worker_thread receiver([&] {
      for (int i = 0; i < kMessages; ++i) got.push_back(c.receive());
    });
    worker_thread sender([&] {
      for (int i = 0; i < kMessages; ++i) c.send(i);
    });
  }
  std::vector<int> expected(kMessages);
  std::iota(expected.begin(), expected.end(), 0);
  EXPECT_EQ(got, expected);
  EXPECT_EQ(c.balance(), 0);
  EXPECT_FALSE(c.queue());
}

// Both directions at once, between tasklets of two threads: a ping-pong
// (each reply depends on the request) and two opposite streams, each in
// order. Every thread's main waits for its tasklets inside slp.
TEST_F(ThreadTest, TaskletsOfTwoThreadsTalkBothWays) {
  constexpr int kRounds = 500;
  channel<int> ping, pong, a_to_b, b_to_a;
  int a_bad_replies = 0;
  std::vector<int> a_got, b_got;
  start_line start(2);
  {
    worker_thread a([&] {
      tasklet_group group;
      group.spawn([&] {
        for (int i = 0; i < kRounds; ++i) {
          ping.send(i);
          if (pong.receive() != 2 * i + 1) ++a_bad_replies;
        }
      });
      group.spawn([&] {
        for (int i = 0; i < kRounds; ++i) a_to_b.send(i);
      });
      group.spawn([&] {
        for (int i = 0; i < kRounds; ++i) a_got.push_back(b_to_a.receive());
      });
      start.arrive_and_wait();
      group.wait();
    });
    worker_thread b([&] {
      tasklet_group group;
      group.spawn([&] {
        for (int i = 0; i < kRounds; ++i) pong.send(2 * ping.receive() + 1);
      });
      group.spawn([&] {
        for (int i = 0; i < kRounds; ++i) b_to_a.send(1000 + i);
      });
      group.spawn([&] {
        for (int i = 0; i < kRounds; ++i) b_got.push_back(a_to_b.receive());
      });
      start.arrive_and_wait();
      group.wait();
    });
  }
  std::vector<int> expected_a(kRounds), expected_b(kRounds);
  std::iota(expected_a.begin(), expected_a.end(), 1000);
  std::iota(expected_b.begin(), expected_b.end(), 0);
  EXPECT_EQ(a_bad_replies, 0);
  EXPECT_EQ(a_got, expected_a);
  EXPECT_EQ(b_got, expected_b);
  for (channel<int>* c : {&ping, &pong, &a_to_b, &b_to_a}) {
    EXPECT_EQ(c->balance(), 0);
  }
}

// API.md §8 / SB §4.1: a hand-off to a partner waiting in another thread
// makes it runnable there and the caller continues, whatever the
// preference and schedule_all (which order only the caller's own thread).
// Both directions: main sends to a remote receiver, then receives from a
// remote sender; a local runnable tasklet x runs only when main yields.
TEST_F(ThreadTest, HandOffToAnotherThreadNeverSwitchesTheCaller) {
  struct mode {
    int preference;
    bool schedule_all;
  };
  for (const mode m : {mode{-1, false}, mode{0, false}, mode{1, false},
                       mode{-1, true}, mode{1, true}}) {
    SCOPED_TRACE("preference " + std::to_string(m.preference) +
                 (m.schedule_all ? ", schedule_all" : ""));
    channel<int> c;
    c.set_preference(m.preference);
    c.set_schedule_all(m.schedule_all);
    trace log;  // main thread only
    {
      worker_thread worker([c]() mutable { c.send(c.receive() + 1); });
      tasklet x{[&] { log.push_back("x"); }};
      x();
      wait_until([&] { return c.balance() == -1; });
      c.send(41);
      log.push_back("main: sent");
      EXPECT_TRUE(current().is_main());
      EXPECT_EQ(run_count(), 2u);
      wait_until([&] { return c.balance() == 1; });
      const int back = c.receive();
      log.push_back("main: received " + std::to_string(back));
      EXPECT_TRUE(current().is_main());
      EXPECT_EQ(run_count(), 2u);
      schedule();
      log.push_back("main: scheduled");
    }
    EXPECT_EQ(log, (trace{"main: sent", "main: received 42", "x",
                          "main: scheduled"}));
    EXPECT_EQ(c.balance(), 0);
  }
}

// SB 69: main sends three values to a tasklet receiving them in another
// thread, whose main waits in run() with threadblock. The receiver waits
// when the first send comes, so main does not block on it (the channel
// callback sees balance -1 and "will not block"); all three values arrive
// in order. The receiver then wakes its own watchdog (API.md §3: an
// explicit wake-up), since main, which could still send, never sleeps.
TEST_F(ThreadTest, E69_ValuesSentToAReceiverUnderThreadblockRunAllArrive) {
  channel<int> ch;
  struct seen {
    int balance;
    bool will_block;
  };
  std::vector<seen> main_sends;  // only main sends: only main writes it
  set_channel_callback(
      [&](const channel_ref& c, const tasklet&, bool sending, bool will_block) {
        if (sending) main_sends.push_back(seen{c.balance(), will_block});
      });
  std::vector<int> received;  // the worker's; read after the join
  std::optional<tasklet> woke_run;
  {
    worker_thread worker([&] {
      tasklet receiver{[&] {
        for (int i = 0; i < 3; ++i) received.push_back(ch.receive());
        main_tasklet().insert();
      }};
      receiver();
      run_options options;
      options.threadblock = true;
      woke_run = run(options);
    });
    wait_until([&] { return ch.balance() == -1; });
    for (int v = 1; v <= 3; ++v) ch.send(v);
    EXPECT_TRUE(current().is_main());
  }
  set_channel_callback(nullptr);
  ASSERT_EQ(main_sends.size(), 3u);
  EXPECT_EQ(main_sends[0].balance, -1);
  EXPECT_FALSE(main_sends[0].will_block);
  EXPECT_EQ(received, (std::vector<int>{1, 2, 3}));
  EXPECT_FALSE(woke_run.has_value());
  EXPECT_EQ(ch.balance(), 0);
}

// SB 69 as a worker thread writes it: the receiver receives three values
// and ends; nothing else is runnable then, so run(threadblock) returns and
// the worker finishes, without any explicit wake-up (API.md §8).
TEST_F(ThreadTest, E69_AReceiverUnderThreadblockRunEndsAndRunReturns) {
  channel<int> ch;
  std::vector<int> received;  // the worker's; read after the join
  std::optional<tasklet> returned;
  {
    worker_thread worker([&] {
      tasklet receiver{[&] {
        for (int i = 0; i < 3; ++i) received.push_back(ch.receive());
      }};
      receiver();
      run_options options;
      options.threadblock = true;
      returned = run(options);
    });
    wait_until([&] { return ch.balance() == -1; });
    for (int v = 1; v <= 3; ++v) ch.send(v);
  }  // joins the worker: it must have finished
  EXPECT_EQ(received, (std::vector<int>{1, 2, 3}));
  EXPECT_FALSE(returned.has_value());
  EXPECT_EQ(ch.balance(), 0);
}

// API.md §8: a receiver blocked in a thread that sleeps (nothing else
// runnable there) is woken by a send from another thread. While it waits
// the thread sleeps: it uses far less CPU than the wall time it waited (a
// busy wait would use about all of it).
TEST_F(ThreadTest, ASleepingReceiverIsWokenByASendFromAnotherThread) {
  constexpr auto kWait = std::chrono::milliseconds(400);
  channel<int> c;
  int got = 0;
  double cpu_seconds = 0;
  double wall_seconds = 0;
  {
    worker_thread worker([&] {
      const double cpu_before = thread_cpu_seconds();
      const auto wall_before = std::chrono::steady_clock::now();
      got = c.receive();
      cpu_seconds = thread_cpu_seconds() - cpu_before;
      wall_seconds = std::chrono::duration<double>(
                         std::chrono::steady_clock::now() - wall_before)
                         .count();
    });
    wait_until([&] { return c.balance() == -1; });
    std::this_thread::sleep_for(kWait);
    c.send(7);
    EXPECT_TRUE(current().is_main());
    EXPECT_EQ(run_count(), 1u);
  }
  EXPECT_EQ(got, 7);
  EXPECT_EQ(c.balance(), 0);
  EXPECT_GE(wall_seconds, 0.9 * std::chrono::duration<double>(kWait).count());
  EXPECT_LT(cpu_seconds, wall_seconds / 2)
      << "the blocked thread used " << cpu_seconds << " s of CPU in "
      << wall_seconds << " s: a busy wait?";
}

// Several threads, two sender tasklets each, send on one channel to main:
// every message arrives once and each sender's in order (main is the only
// receiver), the balance main sees is never below 0 (nobody else receives)
// nor above the number of senders, and it ends at 0. Main and the workers
// sleep and wake all the time; none may get deadlock_error, since there is
// always a thread with work for the sleepers (API.md §8).
TEST_F(ThreadTest, ManySenderThreadsOneReceiver) {
  constexpr int kThreads = 4;
  constexpr int kSendersPerThread = 2;
  constexpr int kSenders = kThreads * kSendersPerThread;
  constexpr int kMessages = 250;  // per sender
  struct message {
    int sender;
    int seq;
  };
  channel<message> c;
  start_line start(kThreads + 1);  // every scheduler exists before main waits
  std::vector<int> next_seq(kSenders, 0);
  int out_of_order = 0;
  int bad_balance = 0;
  deadlock_retries retries;
  {
    std::vector<std::unique_ptr<worker_thread>> workers;
    for (int w = 0; w < kThreads; ++w) {
      workers.push_back(std::make_unique<worker_thread>([&, w] {
        tasklet_group group(&retries);
        for (int s = 0; s < kSendersPerThread; ++s) {
          group.spawn([&retries, c, id = w * kSendersPerThread + s]() mutable {
            for (int seq = 0; seq < kMessages; ++seq) {
              retries.patiently([&] { c.send({id, seq}); });
            }
          });
        }
        start.arrive_and_wait();
        group.wait();
      }));
    }
    start.arrive_and_wait();
    for (int n = 0; n < kSenders * kMessages; ++n) {
      const int balance = c.balance();
      if (balance < 0 || balance > kSenders) ++bad_balance;
      const message m = retries.patiently([&] { return c.receive(); });
      if (m.sender < 0 || m.sender >= kSenders ||
          m.seq != item(next_seq, m.sender)++) {
        ++out_of_order;
      }
    }
  }
  EXPECT_EQ(retries.count(), 0)
      << "deadlock_error while other threads had work; the first: "
      << retries.first();
  EXPECT_EQ(out_of_order, 0);
  EXPECT_EQ(bad_balance, 0);
  EXPECT_EQ(next_seq, std::vector<int>(kSenders, kMessages));
  EXPECT_EQ(c.balance(), 0);
  EXPECT_FALSE(c.queue());
}

// API.md §4 close() with waiters in other threads: the waiters queue FIFO
// across threads (queue() / next() in blocking order); close() wakes
// nobody (closing, not closed, balance unchanged); sends that find a
// waiter still complete, and each waiter gets its value in FIFO order; then
// closed(), and an operation that would block fails with
// channel_closed_error, changing nothing. Each waiter's range-for ends
// after its value, the channel being closing with balance <= 0.
TEST_F(ThreadTest, CloseWithWaitersInOtherThreads) {
  constexpr int kWaiters = 3;
  channel<int> c;
  std::vector<std::vector<int>> got(kWaiters);
  std::vector<std::uint64_t> waiter_ids(kWaiters);
  {
    std::vector<std::promise<std::uint64_t>> ids(kWaiters);
    std::vector<std::unique_ptr<worker_thread>> workers;
    for (int i = 0; i < kWaiters; ++i) {
      workers.push_back(std::make_unique<worker_thread>([&, i] {
        item(ids, i).set_value(main_tasklet().id());
        for (int v : c) item(got, i).push_back(v);
      }));
      item(waiter_ids, i) = item(ids, i).get_future().get();
      wait_until([&] { return c.balance() == -(i + 1); });
    }
    std::vector<std::uint64_t> queued;
    for (std::optional<tasklet> t = c.queue(); t && queued.size() < 10;
         t = t->next()) {
      queued.push_back(t->id());
    }
    EXPECT_EQ(queued, waiter_ids);

    c.close();
    EXPECT_TRUE(c.closing());
    EXPECT_FALSE(c.closed());
    EXPECT_EQ(c.balance(), -kWaiters);
    for (int i = 0; i < kWaiters; ++i) c.send(10 + i);
    EXPECT_EQ(c.balance(), 0);
    EXPECT_TRUE(c.closed());
    expect_error<channel_closed_error>([&] { c.send(99); }, "closed");
    expect_error<channel_closed_error>([&] { c.receive(); }, "closed");
    EXPECT_EQ(c.balance(), 0);
    EXPECT_TRUE(current().is_main());
    EXPECT_EQ(run_count(), 1u);
  }
  for (int i = 0; i < kWaiters; ++i) {
    EXPECT_EQ(item(got, i), std::vector<int>{10 + i}) << "waiter " << i;
  }
  EXPECT_FALSE(c.queue());
}

// --- sleeping instead of deadlock (API.md §3.2, §8; SB §3.6) ---

// SB §3.6 rule 2: main blocks with nothing runnable while a worker thread,
// which has a scheduler, sends later: main sleeps; no deadlock_error.
TEST_F(ThreadTest, MainSleepsUntilAnotherThreadSends) {
  channel<int> c;
  std::promise<void> ready;
  {
    worker_thread worker([&] {
      (void)current();  // the worker's scheduler exists before main blocks
      ready.set_value();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      c.send(5);
    });
    ready.get_future().wait();
    EXPECT_EQ(c.receive(), 5);
    EXPECT_TRUE(current().is_main());
    EXPECT_EQ(run_count(), 1u);
  }
  EXPECT_EQ(c.balance(), 0);
}

// API.md §3.2 "when a tasklet ends and main is blocked ... deadlock_error"
// is the single-thread rule; with several threads §8 applies: main, blocked
// on a channel a living worker will send on, must sleep when its last local
// tasklet ends, and then receive the worker's value.
TEST_F(ThreadTest, TaskletEndingWhileMainWaitsForAnotherThreadSleeps) {
  channel<int> c;
  std::promise<void> worker_ready;
  std::promise<void> main_blocked;
  trace log;  // main thread only
  {
    worker_thread worker([&] {
      (void)current();
      worker_ready.set_value();
      main_blocked.get_future().wait();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      c.send(9);
    });
    worker_ready.get_future().wait();
    tasklet t{[&] {
      log.push_back("t: balance " + std::to_string(c.balance()));
      main_blocked.set_value();
    }};
    t();
    int got = 0;
    try {
      got = c.receive();
      log.push_back("main: got " + std::to_string(got));
    } catch (const deadlock_error& e) {
      log.push_back(std::string("main: deadlock_error: ") + e.what());
      got = c.receive();  // keeps the test bounded: the worker still sends
    }
    EXPECT_EQ(got, 9);
  }
  EXPECT_EQ(log, (trace{"t: balance -1", "main: got 9"}));
  EXPECT_EQ(c.balance(), 0);
}

// SB §3.6 rule 4 across threads: main waits on one channel, a worker's only
// tasklet (its main) on another; both sleep in turn and the last to go to
// sleep gets deadlock_error, with its blocking undone. Which one is last
// depends on timing, so either outcome is accepted, but exactly one
// deadlock_error is raised; its receiver then wakes the other with a send.
TEST_F(ThreadTest, WhenEveryThreadSleepsTheLastOneGetsDeadlockError) {
  channel<int> to_main, to_worker;
  std::promise<void> worker_ready;
  std::string main_error, worker_error;
  int main_got = 0;
  int worker_got = 0;
  {
    worker_thread worker([&] {
      (void)current();
      worker_ready.set_value();
      wait_until([&] { return to_main.balance() == -1; });  // main waits
      try {
        worker_got = to_worker.receive();
      } catch (const deadlock_error& e) {
        worker_error = e.what();
        EXPECT_EQ(to_worker.balance(), 0);
        EXPECT_FALSE(main_tasklet().blocked());
        to_main.send(2);
      }
    });
    worker_ready.get_future().wait();
    try {
      main_got = to_main.receive();
    } catch (const deadlock_error& e) {
      main_error = e.what();
      EXPECT_EQ(to_main.balance(), 0);
      EXPECT_FALSE(main_tasklet().blocked());
      EXPECT_TRUE(current().is_main());
      EXPECT_EQ(run_count(), 1u);
      to_worker.send(1);
    }
  }
  EXPECT_NE(main_error.empty(), worker_error.empty())
      << "exactly one deadlock_error; main: \"" << main_error
      << "\", worker: \"" << worker_error << "\"";
  if (!main_error.empty()) {
    EXPECT_NE(main_error.find("Deadlock"), std::string::npos) << main_error;
    EXPECT_EQ(worker_got, 1);
    EXPECT_EQ(main_got, 0);
  } else {
    EXPECT_NE(worker_error.find("Deadlock"), std::string::npos) << worker_error;
    EXPECT_EQ(main_got, 2);
    EXPECT_EQ(worker_got, 0);
  }
  EXPECT_EQ(to_main.balance(), 0);
  EXPECT_EQ(to_worker.balance(), 0);
}

// The end of the last other thread with a scheduler leaves main, blocked
// and asleep (or about to sleep), with nobody who could wake it:
// deadlock_error in main, with the blocking undone.
TEST_F(ThreadTest, ThreadEndLeavingOnlySleepersRaisesDeadlockError) {
  channel<int> c;
  std::promise<void> worker_ready;
  {
    worker_thread worker([&] {
      (void)current();
      worker_ready.set_value();
      wait_until([&] { return c.balance() == -1; });
    });  // the worker ends once main waits
    worker_ready.get_future().wait();
    expect_error<deadlock_error>([&] { c.receive(); }, "Deadlock");
    EXPECT_EQ(c.balance(), 0);
    EXPECT_FALSE(main_tasklet().blocked());
    EXPECT_TRUE(current().is_main());
    EXPECT_EQ(run_count(), 1u);
  }
}

// --- hooks (API.md §6: process-wide, fire in every thread) ---

thread_local std::size_t hook_calls_in_this_thread = 0;

void count_hook_call(void* total, tasklet_view, tasklet_view) {
  ++hook_calls_in_this_thread;
  static_cast<std::atomic<std::size_t>*>(total)->fetch_add(
      1, std::memory_order_relaxed);
}

// The schedule fast hook, installed once, is called in every thread, for
// that thread's own events: its main's start (nullopt, main), main → a in
// run(), one switch per schedule() of a and b, and (dying, nullopt) +
// (nullopt, next) for each of the two ends: 2 * rounds + 6 per thread.
TEST_F(ThreadTest, TheScheduleFastHookFiresInEveryThread) {
  constexpr int kThreads = 4;
  hooks_reset reset;
  std::atomic<std::size_t> total{0};
  const std::size_t main_before = hook_calls_in_this_thread;
  struct result {
    std::thread::id thread;
    std::size_t calls = 0;
    std::size_t rounds = 0;
  };
  std::vector<result> results(kThreads);
  set_schedule_fasthook(&count_hook_call, &total);
  {
    std::vector<std::unique_ptr<worker_thread>> workers;
    for (int i = 0; i < kThreads; ++i) {
      workers.push_back(std::make_unique<worker_thread>([&results, i] {
        const std::size_t rounds = 100 * static_cast<std::size_t>(i + 1);
        auto ping = [rounds] {
          for (std::size_t k = 0; k < rounds; ++k) schedule();
        };
        tasklet a{ping};  // the thread's scheduler starts here
        tasklet b{ping};
        a();
        b();
        EXPECT_FALSE(run().has_value());
        item(results, i) = {std::this_thread::get_id(),
                            hook_calls_in_this_thread, rounds};
      }));
    }
  }
  set_schedule_fasthook(nullptr, nullptr);
  std::set<std::thread::id> threads;
  std::size_t expected_total = 0;
  for (const result& r : results) {
    EXPECT_EQ(r.calls, 2 * r.rounds + 6);
    threads.insert(r.thread);
    expected_total += 2 * r.rounds + 6;
  }
  EXPECT_EQ(threads.size(), static_cast<std::size_t>(kThreads));
  EXPECT_EQ(total.load(), expected_total);
  EXPECT_EQ(hook_calls_in_this_thread, main_before);
}

// --- the end of a thread (API.md §3.4) with channels shared ---

// A worker ends while its tasklets wait on channels main also uses: they
// are killed in the worker (destructors run there, nothing resumes), the
// value of its waiting sender is destroyed, and main's own waiter is still
// first in line, the balances consistent; main's send then reaches it.
TEST_F(ThreadTest, ThreadEndKillsItsTaskletsBlockedOnSharedChannels) {
  channel<std::string> shared_in;
  channel<counted> shared_out;
  trace log;  // main thread only
  tasklet m{[&] { log.push_back("m: got " + shared_in.receive()); }};
  m();
  m.run();
  ASSERT_TRUE(m.blocked());
  const int live_before = counted::live;
  int destroyed = 0;
  std::vector<std::thread::id> destroyed_in(3);
  int resumed = 0;
  std::thread::id worker_id;
  {
    worker_thread worker([&] {
      worker_id = std::this_thread::get_id();
      int slot = 0;
      for (; slot < 2; ++slot) {
        tasklet{[&, slot] {
          destructor_log d{&destroyed, &item(destroyed_in, slot)};
          shared_in.receive();
          ++resumed;
        }}();
      }
      tasklet{[&, slot] {
        destructor_log d{&destroyed, &item(destroyed_in, slot)};
        shared_out.send(counted("payload"));
        ++resumed;
      }}();
      EXPECT_FALSE(run().has_value());
      EXPECT_EQ(shared_in.balance(), -3);
      EXPECT_EQ(shared_out.balance(), 1);
    });
  }
  EXPECT_EQ(destroyed, 3);
  for (const std::thread::id& id : destroyed_in) EXPECT_EQ(id, worker_id);
  EXPECT_EQ(resumed, 0);
  EXPECT_EQ(shared_in.balance(), -1);
  EXPECT_EQ(shared_in.queue(), m);
  EXPECT_FALSE(m.next());
  EXPECT_TRUE(m.blocked());
  EXPECT_EQ(shared_out.balance(), 0);
  EXPECT_FALSE(shared_out.queue());
  EXPECT_EQ(counted::live, live_before) << "the waiting value was destroyed";

  shared_in.send("hello");
  EXPECT_EQ(log, (trace{"m: got hello"}));
  EXPECT_FALSE(m.alive());
  EXPECT_EQ(shared_in.balance(), 0);
}

// --- stress ---

// Tokens relayed around rings of tasklets that cross threads. Each ring
// has kStages stage tasklets, stage j in thread j % kThreads (so every hop
// crosses threads), joined by a channel per stage; stage 0 injects kTokens
// (< kStages, so a ring never fills up and cannot deadlock) and retires
// each after kLaps laps. A token carries its hop count; every stage checks
// that the token it receives belongs to its ring and is at its position.
// The test's own thread is thread 0 (stages 0, kThreads, ...), so if every
// thread ever slept at once the failure would be a deadlock_error, not a
// hang. Work is fixed: kRings * kStages * kTokens * kLaps hand-offs.
TEST_F(ThreadTest, StressTokensRelayedAroundRingsAcrossThreads) {
  static constexpr int kThreads = 4;  // this thread and three workers
  static constexpr int kRings = 64;
  static constexpr int kStages = 32;
  static constexpr int kTokens = 4;
  static constexpr int kLaps = 2;
  static_assert(kTokens < kStages, "a full ring could deadlock");
  struct token {
    int ring;
    int id;
    int hops;
  };
  std::vector<channel<token>> links(kRings * kStages);  // into stage j
  struct tally {
    long relayed = 0;  // tokens received by this thread's stages
    int misrouted = 0;
    std::vector<std::vector<int>> retired;  // per ring: token ids
    std::vector<int> bad_retirement;
  };
  std::vector<tally> tallies(kThreads);
  for (tally& t : tallies) t.retired.resize(kRings);
  start_line start(kThreads);
  deadlock_retries retries;

  auto host_stages = [&](int thread) {
    tally& mine = item(tallies, thread);
    tasklet_group group(&retries);
    for (int r = 0; r < kRings; ++r) {
      for (int j = thread; j < kStages; j += kThreads) {
        channel<token> in = item(links, r * kStages + j);
        channel<token> out = item(links, r * kStages + (j + 1) % kStages);
        group.spawn([&mine, &retries, in, out, r, j]() mutable {
          int receives = kTokens * kLaps;
          if (j == 0) {
            for (int k = 0; k < kTokens; ++k) {
              retries.patiently([&] { out.send({r, k, 1}); });
            }
          }
          while (receives-- > 0) {
            token t = retries.patiently([&] { return in.receive(); });
            ++mine.relayed;
            if (t.ring != r || t.hops % kStages != j) ++mine.misrouted;
            if (j == 0 && t.hops == kLaps * kStages) {
              item(mine.retired, r).push_back(t.id);
              continue;
            }
            if (j == 0 && t.hops > kLaps * kStages) {
              mine.bad_retirement.push_back(t.id);
            }
            ++t.hops;
            retries.patiently([&] { out.send(t); });
          }
        });
      }
    }
    start.arrive_and_wait();  // every scheduler exists before anyone waits
    group.wait();
  };

  const auto began = std::chrono::steady_clock::now();
  {
    std::vector<std::unique_ptr<worker_thread>> workers;
    for (int w = 1; w < kThreads; ++w) {
      workers.push_back(std::make_unique<worker_thread>(
          [&host_stages, w] { host_stages(w); }));
    }
    host_stages(0);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - began)
          .count();

  EXPECT_EQ(retries.count(), 0)
      << "deadlock_error while other threads had work; the first: "
      << retries.first();
  long relayed = 0;
  for (const tally& t : tallies) {
    relayed += t.relayed;
    EXPECT_EQ(t.misrouted, 0);
    EXPECT_TRUE(t.bad_retirement.empty());
  }
  EXPECT_EQ(relayed, static_cast<long>(kRings) * kStages * kTokens * kLaps);
  std::vector<int> all_tokens(kTokens);
  std::iota(all_tokens.begin(), all_tokens.end(), 0);
  for (int r = 0; r < kRings; ++r) {
    std::vector<int> retired = item(tallies[0].retired, r);
    std::sort(retired.begin(), retired.end());
    EXPECT_EQ(retired, all_tokens) << "ring " << r;
    for (int t = 1; t < kThreads; ++t)
      EXPECT_TRUE(item(item(tallies, t).retired, r).empty());
  }
  for (const channel<token>& c : links) EXPECT_EQ(c.balance(), 0);
  RecordProperty("seconds", std::to_string(seconds));
  std::printf("[ stress   ] %d hand-offs across %d threads in %.3f s\n",
              kRings * kStages * kTokens * kLaps, kThreads, seconds);
}

// run_options::threadblock: run() with nothing runnable waits for work
// from other threads; a tasklet that then blocks with nothing else runnable
// makes the thread sleep until another thread wakes it, instead of waking
// run(); and when that tasklet ends with nothing runnable, run() returns at
// once, although the other thread is still alive (API.md §8).
TEST_F(ThreadTest, RunWithThreadblockWaitsForWorkFromOtherThreads) {
  trace log;
  channel<int> ch;
  tasklet first;
  first.bind(
      [&](int) {
        log.push_back("first ran");
        log.push_back("first got " + std::to_string(ch.receive()));
      },
      0);  // paused
  std::atomic<bool> worker_ready{false};
  std::atomic<bool> run_returned{false};
  worker_thread worker([&] {
    (void)current();  // a scheduler: this thread could send work
    worker_ready = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    first.insert();  // made runnable in main's thread, asleep in run()
    wait_until([&] { return ch.balance() == -1; });
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ch.send(5);  // main's thread sleeps: first blocked, nothing runnable
    wait_until([&] { return run_returned.load(); });  // still alive
  });
  while (!worker_ready.load()) std::this_thread::yield();
  run_options options;
  options.threadblock = true;
  const std::optional<tasklet> victim = run(options);
  run_returned = true;
  worker.join();
  EXPECT_FALSE(victim.has_value());
  EXPECT_EQ(log, (trace{"first ran", "first got 5"}));
  EXPECT_FALSE(first.alive());
}

// The worker-thread pattern: a worker runs its tasklet under
// run(threadblock); its parent sends it work through a channel and then
// joins it. The tasklet blocks between items (the worker sleeps), and once
// it has handled the last item and ended, run() returns and the worker
// finishes, although the parent, waiting in join(), is still alive.
TEST_F(ThreadTest, AWorkerUnderThreadblockRunFinishesWhileItsParentJoins) {
  channel<int> work;
  std::vector<int> handled;  // the worker's; read after the join
  std::optional<tasklet> returned;
  std::atomic<bool> finished{false};
  std::thread worker([&] {
    tasklet handler{[&] {
      for (int i = 0; i < 4; ++i) handled.push_back(work.receive() * 10);
    }};
    handler();
    run_options options;
    options.threadblock = true;
    returned = run(options);
    finished = true;
  });
  wait_until([&] { return work.balance() == -1; });  // its scheduler exists
  for (int v = 1; v <= 4; ++v) work.send(v);
  // A hang guard: the worker must finish while this thread waits.
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!finished.load() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (!finished.load()) {
    ADD_FAILURE() << "the worker's run(threadblock) did not return";
    std::fflush(nullptr);
    std::_Exit(1);  // the worker sleeps for good: no join can end
  }
  worker.join();
  EXPECT_EQ(handled, (std::vector<int>{10, 20, 30, 40}));
  EXPECT_FALSE(returned.has_value());
  EXPECT_EQ(work.balance(), 0);
}

// Without threadblock, run() with nothing runnable returns at once.
TEST_F(ThreadTest, RunWithoutThreadblockReturnsWhenNothingIsRunnable) {
  bool ran = false;
  tasklet later;
  later.bind([&](int) { ran = true; }, 0);
  std::thread worker([&] { (void)current(); });
  EXPECT_FALSE(run().has_value());
  worker.join();
  EXPECT_FALSE(ran);
  later.kill();
}

// A thread that hands a value to a receiver waiting in main, and ends right
// after, while main's only other tasklet blocks: main's run(threadblock)
// must still find the receiver made runnable by the request in its inbox,
// not conclude that no thread is left to wake anyone and return with the
// receiver lost (neither runnable nor blocked). The window is a few
// instructions wide, so the exchange is repeated.
TEST_F(ThreadTest, AWakeUpPostedByAThreadThatThenEndsIsNotLost) {
  for (int round = 0; round < 20; ++round) {
    constexpr int sent_across = 200;
    channel<int> ch;
    bool done = false;
    int got_across = 0;
    tasklet producer{[&] {
      for (int i = 0; !done; ++i) ch.send(i);
      ch.send(-1);
    }};
    tasklet consumer{[&] {
      for (;;) {
        const int v = ch.receive();
        if (v == -1) break;
        if (v < -1 && ++got_across == sent_across) done = true;
      }
    }};
    std::thread second([&] {
      for (int i = 0; i < sent_across; ++i) ch.send(-2 - i);
    });
    producer();
    consumer();
    run_options wait;
    wait.threadblock = true;
    run(wait);
    second.join();
    ASSERT_EQ(got_across, sent_across) << "round " << round;
    ASSERT_FALSE(consumer.alive()) << "round " << round;
    ASSERT_FALSE(producer.alive()) << "round " << round;
  }
}

// --- setup() and bind() across threads (API.md §8, SB §2.2, §2.7) ---

// setup() is "store the arguments, then insert()", and insert() of another
// thread's tasklet is allowed: setup() of a tasklet that another thread
// created and bound makes it alive here at once (alive, scheduled nowhere
// here: main's run count is unchanged, main does not switch), and it runs
// in its own thread with the arguments. A second setup() while it is alive
// fails with the owning thread's error, and changes nothing. The second
// tasklet is set up while its thread sleeps in run(threadblock): the
// thread wakes and runs it.
TEST_F(ThreadTest, SB_2_2_SetupOfARemoteBoundTaskletRunsItInItsThread) {
  steps step;
  std::optional<tasklet> first, second;
  std::thread::id worker_id;
  trace log;        // written by the worker's tasklets only
  (void)current();  // main counts as a thread that could wake the worker
  {
    worker_thread worker([&] {
      worker_id = std::this_thread::get_id();
      auto body = [&](int n, std::string s) {
        log.push_back(s + " " + std::to_string(n) +
                      (std::this_thread::get_id() == worker_id ? " in worker"
                                                               : " elsewhere"));
      };
      first.emplace(body);
      second.emplace(body);
      step.reach(1);
      step.wait_for(2);
      EXPECT_FALSE(run().has_value());  // applies the setup, runs `first`
      step.reach(3);
      run_options wait;
      wait.threadblock = true;
      EXPECT_FALSE(run(wait).has_value());  // sleeps until `second` is set up
      EXPECT_EQ(run_count(), 1u);
    });
    step.wait_for(1);
    EXPECT_FALSE(first->alive());
    (*first)(1, std::string("first"));
    EXPECT_TRUE(first->alive());
    EXPECT_TRUE(first->restorable());
    EXPECT_EQ(first->thread_id(), worker_id);
    EXPECT_TRUE(current().is_main());
    EXPECT_EQ(run_count(), 1u);
    try {
      first->setup(2, std::string("again"));
      ADD_FAILURE() << "a second setup() of an alive tasklet succeeded";
    } catch (const error& e) {
      EXPECT_EQ(std::string(e.what()), "slp::tasklet::setup: tasklet is alive");
    }
    step.reach(2);
    step.wait_for(3);
    (*second)(3, std::string("second"));
    EXPECT_EQ(run_count(), 1u);
  }
  EXPECT_EQ(log, (trace{"first 1 in worker", "second 3 in worker"}));
  EXPECT_FALSE(first->alive());
  EXPECT_FALSE(second->alive());
}

// SB §2.7 (DeadThreadTest.test_methods_on_dead: bind(None) does not raise;
// test_rebind_from_dead) and API.md §8: bind(fn) of a tasklet whose thread
// has ended is allowed — one that only was bound, one that finished, one
// that was killed at the thread's end — and bind_thread() then adopts it:
// set up here, it runs here with the new function. bind(fn, args) (which
// would set it up) fails with "tasklet has no thread" and changes nothing.
TEST_F(ThreadTest, SB_2_7_BindOfATaskletWhoseThreadHasEnded) {
  std::optional<tasklet> bound_only, finished, killed;
  int killed_destroyed = 0;
  std::thread::id killed_destroyed_in;
  {
    worker_thread worker([&] {
      bound_only.emplace([] { ADD_FAILURE() << "the old function ran"; });
      finished.emplace([] {});
      (*finished)();
      killed.emplace([&] {
        destructor_log d{&killed_destroyed, &killed_destroyed_in};
        schedule_remove();
        ADD_FAILURE() << "resumed after the thread's end";
      });
      (*killed)();
      EXPECT_FALSE(run().has_value());
      EXPECT_FALSE(finished->alive());
      EXPECT_TRUE(killed->paused());
    });
  }
  EXPECT_EQ(killed_destroyed, 1);
  trace log;
  const std::thread::id here = std::this_thread::get_id();
  int n = 0;
  for (tasklet* t : {&*bound_only, &*finished, &*killed}) {
    const std::string name = "t" + std::to_string(++n);
    EXPECT_EQ(t->thread_id(), std::thread::id());
    try {
      t->bind([](int) {}, 1);
      ADD_FAILURE() << name << ": bind(fn, args) succeeded";
    } catch (const error& e) {
      EXPECT_EQ(std::string(e.what()),
                "slp::tasklet::bind: tasklet has no thread");
    }
    EXPECT_FALSE(t->alive());
    t->unbind();
    t->bind([&log, name, here] {
      log.push_back(
          name + (std::this_thread::get_id() == here ? " here" : " elsewhere"));
    });
    EXPECT_FALSE(t->alive());
    EXPECT_TRUE(t->restorable());
    EXPECT_EQ(t->thread_id(), std::thread::id());
    t->bind_thread();
    EXPECT_EQ(t->thread_id(), here);
    (*t)();
    t->run();
    EXPECT_FALSE(t->alive());
  }
  EXPECT_EQ(log, (trace{"t1 here", "t2 here", "t3 here"}));
}

// --- slp::thread (API.md §8) ---

// The start-up race, gone: main starts a producer with slp::thread and
// receives at once, with nothing else runnable. The producer's scheduler
// exists when the constructor returns, so main sleeps until the value
// comes instead of getting deadlock_error, in every round; the producer's
// function sees its scheduler already there.
TEST_F(ThreadTest, AReceiverThatStartsAnSlpThreadAndBlocksSleeps) {
  for (int round = 0; round < 200; ++round) {
    channel<int> c;
    bool had_scheduler = false;
    slp::thread producer([c, round, &had_scheduler]() mutable {
      had_scheduler = has_scheduler();
      c.send(round);
    });
    ASSERT_EQ(c.receive(), round);
    producer.join();
    ASSERT_TRUE(had_scheduler) << "round " << round;
  }
}

// The same with the answer coming from a tasklet of the new thread, which
// the thread's main starts and then waits for in run(threadblock) (the
// tasklet may block on its send before main receives): main sleeps until
// that tasklet can answer.
TEST_F(ThreadTest, AnSlpThreadsTaskletsAnswerAReceiverThatBlockedFirst) {
  channel<std::string> c;
  std::thread::id answered_in;
  slp::thread worker([c, &answered_in]() mutable {
    tasklet{[c, &answered_in]() mutable {
      answered_in = std::this_thread::get_id();
      c.send("from a tasklet");
    }}();
    run_options wait;
    wait.threadblock = true;
    EXPECT_FALSE(run(wait).has_value());
  });
  const std::thread::id worker_id = worker.get_id();
  EXPECT_EQ(c.receive(), "from a tasklet");
  worker.join();
  EXPECT_FALSE(worker.joinable());
  EXPECT_EQ(answered_in, worker_id);
}

// slp::thread as a thread type: arguments are decayed copies (a move-only
// one works), destruction and move assignment join, a default-constructed
// one holds no thread.
TEST_F(ThreadTest, SlpThreadJoinsOnDestructionAndMoveAssignment) {
  slp::thread none;
  EXPECT_FALSE(none.joinable());
  std::atomic<int> got{0};
  {
    slp::thread t(
        [&got](std::unique_ptr<int> p) {
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
          got.store(*p);
        },
        std::make_unique<int>(5));
    EXPECT_TRUE(t.joinable());
  }
  EXPECT_EQ(got.load(), 5);  // joined at the end of the scope
  slp::thread a([&got] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    got.store(6);
  });
  a = slp::thread([] {});  // joins the first thread before taking this one
  EXPECT_EQ(got.load(), 6);
  slp::thread b(std::move(a));
  EXPECT_FALSE(a.joinable());  // NOLINT(bugprone-use-after-move)
  EXPECT_TRUE(b.joinable());
}

}  // namespace
}  // namespace slp::test
