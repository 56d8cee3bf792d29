// A scratch directory per test, removed afterwards.
#pragma once

#include <filesystem>
#include <random>
#include <string>

namespace basis::storage::testing {

class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("basis-test-" + std::to_string(rd()) + "-" + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string path(const std::string& child = "db") const { return (path_ / child).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace basis::storage::testing
