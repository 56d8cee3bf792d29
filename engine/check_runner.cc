#include "engine/check_runner.h"

#include <algorithm>

namespace basis::engine {

CheckRunner::CheckRunner(int threads) {
  for (int i = 0; i < std::max(1, threads); ++i) threads_.emplace_back([this] { run(); });
}

CheckRunner::~CheckRunner() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  for (std::thread& t : threads_) t.join();
}

uint64_t CheckRunner::add(Step step) {
  uint64_t id;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    id = next_id_++;
    tasks_[id].step = std::move(step);
    // Due now; ties are broken by id, so tasks start in the order added.
    due_.insert({Clock::time_point::min(), id});
  }
  changed_.notify_all();
  return id;
}

void CheckRunner::remove(uint64_t id) {
  std::unique_lock<std::mutex> lock(mutex_);
  auto it = tasks_.find(id);
  if (it == tasks_.end()) return;
  if (!it->second.running) {
    for (auto d = due_.begin(); d != due_.end(); ++d) {
      if (d->second == id) {
        due_.erase(d);
        break;
      }
    }
    tasks_.erase(it);
    return;
  }
  it->second.removed = true;
  changed_.wait(lock, [&] { return tasks_.find(id) == tasks_.end(); });
}

void CheckRunner::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    if (stop_) return;
    if (due_.empty()) {
      changed_.wait(lock);
      continue;
    }
    const auto [when, id] = *due_.begin();
    if (when > Clock::now()) {
      changed_.wait_until(lock, when);
      continue;
    }
    due_.erase(due_.begin());
    Task& task = tasks_.at(id);  // a map's elements stay where they are
    task.running = true;
    lock.unlock();
    std::optional<Clock::time_point> next = task.step();
    lock.lock();
    task.running = false;
    if (task.removed || !next) {
      tasks_.erase(id);
      changed_.notify_all();  // remove() may be waiting
    } else {
      due_.insert({*next, id});
      changed_.notify_all();
    }
  }
}

}  // namespace basis::engine
