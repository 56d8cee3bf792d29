// A few threads that run the background checks of many trees: a store of a
// thousand trees verifies and health-checks them a few at a time, on
// threads it made once, instead of a thread per tree (whose creation would
// be most of a start). Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <utility>
#include <vector>

namespace basis::engine {

class CheckRunner {
 public:
  using Clock = std::chrono::steady_clock;
  // One step of a task; returns when to run the next (nullopt: done).
  using Step = std::function<std::optional<Clock::time_point>()>;

  // Starts `threads` threads (at least 1).
  explicit CheckRunner(int threads);
  // Stops and joins the threads; tasks not removed are dropped unrun.
  ~CheckRunner();
  CheckRunner(const CheckRunner&) = delete;
  CheckRunner& operator=(const CheckRunner&) = delete;

  // Adds a task whose first step runs once a thread is free, after the
  // tasks added before it. Returns its id, for remove().
  uint64_t add(Step step);
  // Removes a task; waits for a step of it in progress to end (a step must
  // therefore notice, by its own means, that it should stop). After it
  // returns, no step of the task runs. Never call it from a step.
  void remove(uint64_t id);

 private:
  struct Task {
    Step step;
    bool running = false;
    bool removed = false;  // remove() waits for the running step
  };
  void run();

  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<uint64_t, Task> tasks_;
  std::set<std::pair<Clock::time_point, uint64_t>> due_;  // of the tasks not running
  uint64_t next_id_ = 1;
  bool stop_ = false;
  std::vector<std::thread> threads_;  // last: they start once the rest is built
};

}  // namespace basis::engine
