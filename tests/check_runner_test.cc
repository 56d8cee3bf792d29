// engine::CheckRunner: the few threads that run many trees' background
// checks. Tasks start in the order added, repeat when a step says so, and a
// removed task never runs again, even when removed while a step runs.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "engine/check_runner.h"

using basis::engine::CheckRunner;
using namespace std::chrono_literals;

namespace {

// Waits up to 10 s for `done`.
template <typename F>
bool eventually(F done) {
  for (auto until = std::chrono::steady_clock::now() + 10s; std::chrono::steady_clock::now() < until;) {
    if (done()) return true;
    std::this_thread::sleep_for(1ms);
  }
  return done();
}

}  // namespace

TEST_CASE("check runner: on one thread, tasks run in the order added, each once unless it asks again", "[checks]") {
  std::mutex m;
  std::vector<int> order;
  std::atomic<int> repeats{0};
  {
    CheckRunner runner(1);
    for (int i = 0; i < 20; ++i) {
      runner.add([&, i]() -> std::optional<CheckRunner::Clock::time_point> {
        std::lock_guard<std::mutex> lock(m);
        order.push_back(i);
        return std::nullopt;
      });
    }
    runner.add([&]() -> std::optional<CheckRunner::Clock::time_point> {
      if (++repeats == 5) return std::nullopt;
      return CheckRunner::Clock::now() + 1ms;
    });
    REQUIRE(eventually([&] { return repeats.load() == 5; }));
    std::this_thread::sleep_for(20ms);
  }
  std::vector<int> expected;
  for (int i = 0; i < 20; ++i) expected.push_back(i);
  CHECK(order == expected);
  CHECK(repeats.load() == 5);  // it stopped asking
}

TEST_CASE("check runner: a removed task never runs again, also when removed during its step", "[checks]") {
  CheckRunner runner(2);
  std::atomic<bool> stop{false}, in_step{false};
  std::atomic<int> steps{0};
  const uint64_t id = runner.add([&]() -> std::optional<CheckRunner::Clock::time_point> {
    ++steps;
    in_step = true;
    while (!stop) std::this_thread::sleep_for(1ms);  // a long verification, cancelled by its flag
    in_step = false;
    return CheckRunner::Clock::now();  // would run again at once
  });
  REQUIRE(eventually([&] { return in_step.load(); }));
  std::thread stopper([&] {
    std::this_thread::sleep_for(30ms);
    stop = true;
  });
  runner.remove(id);  // waits for the step in progress
  CHECK_FALSE(in_step.load());
  stopper.join();
  const int after = steps.load();
  std::this_thread::sleep_for(30ms);
  CHECK(steps.load() == after);
  CHECK(after == 1);

  // A task removed before its first step (one thread, busy) never runs.
  CheckRunner busy(1);
  std::atomic<bool> release{false}, ran{false};
  busy.add([&]() -> std::optional<CheckRunner::Clock::time_point> {
    while (!release) std::this_thread::sleep_for(1ms);
    return std::nullopt;
  });
  const uint64_t waiting = busy.add([&]() -> std::optional<CheckRunner::Clock::time_point> {
    ran = true;
    return std::nullopt;
  });
  busy.remove(waiting);
  release = true;
  std::this_thread::sleep_for(30ms);
  CHECK_FALSE(ran.load());
  busy.remove(12345);  // unknown: nothing happens
}

TEST_CASE("check runner: a later task due now runs before an earlier one due later", "[checks]") {
  CheckRunner runner(1);
  std::atomic<int> late{0}, soon{0};
  runner.add([&]() -> std::optional<CheckRunner::Clock::time_point> {
    if (late++ == 0) return CheckRunner::Clock::now() + 10min;  // its next step is far off
    return std::nullopt;
  });
  REQUIRE(eventually([&] { return late.load() == 1; }));
  runner.add([&]() -> std::optional<CheckRunner::Clock::time_point> {
    ++soon;
    return std::nullopt;
  });
  CHECK(eventually([&] { return soon.load() == 1; }));  // the sleeping thread woke for it
  CHECK(late.load() == 1);
}  // destroyed with a task still due: dropped unrun
