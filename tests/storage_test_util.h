// A scratch directory per test, removed afterwards, and a database opened in
// it. Include after <catch2/catch.hpp>.
#pragma once

#include <filesystem>
#include <memory>
#include <random>
#include <string>

#include "storage/database.h"

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

// The database at `path`, created if missing (32-byte keys, values of any length).
inline std::unique_ptr<Database> open_database(const std::string& path,
                                               tree::TreeParams params = tree::TreeParams{32, std::nullopt}) {
  DatabaseOptions o;
  o.path = path;
  o.params = params;
  std::unique_ptr<Database> db;
  REQUIRE(Database::open(o, &db).is_ok());
  return db;
}

}  // namespace basis::storage::testing
