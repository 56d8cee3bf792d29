// A progress line on stderr for the admin tool's long commands:
//
//   nodes [#########               ] 120000/400000 30%  52000/s  ETA 5 s
//
// Debian 12 packages no progress-bar library for C++ (no indicators), and
// what is needed is one line: this is it. Drawn only when enabled (see
// progress_wanted), at most ten times a second, and cleared when done, so
// that the command's own output starts on a clean line.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace basis::tools {

// Whether progress is shown: stderr is a terminal, and neither --json nor
// --quiet was given.
bool progress_wanted(bool json, bool quiet);

// What the line says after `seconds` with `done` of `total` (0: not known,
// then without bar, share and ETA). `unit` "bytes" prints MiB.
std::string progress_line(const std::string& what, const std::string& unit, uint64_t done, uint64_t total,
                          double seconds);

class Progress {
 public:
  Progress(bool enabled, std::string what, std::string unit, uint64_t total = 0);
  ~Progress();  // finish()
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // From any thread. The first update draws at once, later ones at most
  // every 100 ms.
  void update(uint64_t done);
  // For work that says nothing while it runs (a RocksDB restore): calls
  // `sample` every 100 ms on a thread of its own and shows what it returns,
  // until finish().
  void poll(std::function<uint64_t()> sample);
  // Stops polling and clears the line, if one was drawn.
  void finish();

 private:
  void draw(uint64_t done, bool force);

  const bool enabled_;
  const std::string what_, unit_;
  const uint64_t total_;
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::mutex mu_;
  std::chrono::steady_clock::time_point last_draw_{};
  bool drawn_ = false;
  bool finished_ = false;
  std::atomic<bool> stop_{false};
  std::thread poller_;
};

// For work in phases (an engine::ProgressFn): one line per phase, each
// cleared when the next begins. Not for more than one thread.
class PhasedProgress {
 public:
  explicit PhasedProgress(bool enabled) : enabled_(enabled) {}
  void operator()(std::string_view phase, uint64_t done, uint64_t total);
  // A function to hand to the engine; this object must outlive it.
  std::function<void(std::string_view, uint64_t, uint64_t)> fn() {
    return [this](std::string_view phase, uint64_t done, uint64_t total) { (*this)(phase, done, total); };
  }
  void finish() { current_.reset(); }

 private:
  const bool enabled_;
  std::string phase_;
  uint64_t total_ = 0;
  std::unique_ptr<Progress> current_;
};

}  // namespace basis::tools
