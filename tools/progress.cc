#include "tools/progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>

namespace basis::tools {

namespace {

constexpr auto kRedrawEvery = std::chrono::milliseconds(100);
constexpr int kBarWidth = 24;
constexpr double kMeasureAfter = 0.2;  // seconds

// A count as printed: bytes in MiB (without the unit), others whole.
std::string amount(bool bytes, double n) {
  char buf[64];
  std::snprintf(buf, sizeof buf, bytes ? "%.1f" : "%.0f", bytes ? n / (1024.0 * 1024.0) : n);
  return buf;
}

std::string duration(double seconds) {
  char buf[64];
  auto s = static_cast<uint64_t>(std::llround(seconds));
  if (s < 60) {
    std::snprintf(buf, sizeof buf, "%" PRIu64 " s", s);
  } else if (s < 3600) {
    std::snprintf(buf, sizeof buf, "%" PRIu64 " min %02" PRIu64 " s", s / 60, s % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%" PRIu64 " h %02" PRIu64 " min", s / 3600, s / 60 % 60);
  }
  return buf;
}

}  // namespace

bool progress_wanted(bool json, bool quiet) { return !json && !quiet && isatty(STDERR_FILENO) == 1; }

std::string progress_line(const std::string& what, const std::string& unit, uint64_t done, uint64_t total,
                          double seconds) {
  const bool bytes = unit == "bytes";
  const std::string suffix = bytes ? " MiB" : unit.empty() ? "" : " " + unit;
  double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
  std::string line = what;
  if (total > 0) {
    uint64_t shown = std::min(done, total);
    int filled = static_cast<int>(static_cast<double>(kBarWidth) * static_cast<double>(shown) / static_cast<double>(total));
    line += " [" + std::string(filled, '#') + std::string(kBarWidth - filled, ' ') + "] ";
    line += amount(bytes, static_cast<double>(shown)) + "/" + amount(bytes, static_cast<double>(total)) + suffix;
    line += " " + std::to_string(shown * 100 / total) + "%";
  } else if (done > 0) {
    line += " " + amount(bytes, static_cast<double>(done)) + suffix;
  }
  // Rate and ETA once there is something to measure them by.
  const bool measured = seconds >= kMeasureAfter && done > 0;
  if (measured) line += "  " + amount(bytes, rate) + suffix + "/s";
  if (total > 0 && measured && done < total) {
    line += "  ETA " + duration(static_cast<double>(total - done) / rate);
  } else if (total == 0) {
    line += "  " + duration(seconds);
  }
  return line;
}

Progress::Progress(bool enabled, std::string what, std::string unit, uint64_t total)
    : enabled_(enabled), what_(std::move(what)), unit_(std::move(unit)), total_(total) {}

Progress::~Progress() { finish(); }

void Progress::update(uint64_t done) {
  if (enabled_) draw(done, false);
}

void Progress::poll(std::function<uint64_t()> sample) {
  if (!enabled_ || poller_.joinable()) return;
  // The first draw here, at once: a phase shorter than the poller's start
  // (a busy machine) is still shown.
  draw(sample(), true);
  poller_ = std::thread([this, sample = std::move(sample)] {
    for (;;) {
      for (int i = 0; i < 10 && !stop_.load(); ++i) std::this_thread::sleep_for(kRedrawEvery / 10);
      if (stop_.load()) return;
      draw(sample(), true);
    }
  });
}

void Progress::finish() {
  stop_.store(true);
  if (poller_.joinable()) poller_.join();
  std::lock_guard<std::mutex> lock(mu_);
  if (drawn_) std::fputs("\r\033[K", stderr);
  std::fflush(stderr);
  drawn_ = false;
  finished_ = true;
}

void Progress::draw(uint64_t done, bool force) {
  std::lock_guard<std::mutex> lock(mu_);
  if (finished_) return;
  auto now = std::chrono::steady_clock::now();
  if (!force && drawn_ && now - last_draw_ < kRedrawEvery) return;
  last_draw_ = now;
  drawn_ = true;
  double seconds = std::chrono::duration<double>(now - started_).count();
  std::string line = progress_line(what_, unit_, done, total_, seconds);
  // A line that wraps could not be redrawn with \r: cut it to the width.
  winsize size{};
  if (ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 1 && line.size() >= size.ws_col) {
    line.resize(size.ws_col - 1);
  }
  std::fprintf(stderr, "\r\033[K%s", line.c_str());
  std::fflush(stderr);
}

void PhasedProgress::operator()(std::string_view phase, uint64_t done, uint64_t total) {
  if (!enabled_) return;
  if (!current_ || phase != phase_ || total != total_) {
    current_.reset();  // clears the line of the phase before
    phase_ = phase;
    total_ = total;
    current_ = std::make_unique<Progress>(true, phase_, "", total);
  }
  current_->update(done);
}

}  // namespace basis::tools
