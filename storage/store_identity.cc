#include "storage/store_identity.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <system_error>

namespace basis::storage {

using tree::ErrorKind;
namespace fs = std::filesystem;

namespace {

// RocksDB's own files: a store's tables, logs and manifests.
bool is_rocksdb_file(const std::string& name) {
  auto ends = [&](const char* suffix) {
    std::string s(suffix);
    return name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0;
  };
  return name.rfind("MANIFEST-", 0) == 0 || ends(".sst") || ends(".log") || ends(".blob");
}

bool sync_path(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags);
  if (fd < 0) return false;
  bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

std::string identity_path(const std::string& db_path) {
  std::string p = db_path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p + ".identity";
}

Status check_store_presence(const std::string& db_path, bool* may_create) {
  *may_create = false;
  std::error_code ec;
  const bool has_current = fs::exists(fs::path(db_path) / "CURRENT", ec);
  const std::string identity = identity_path(db_path);
  // Checked before RocksDB opens anything for writing: an identity file that
  // cannot be written later would leave a refused start that changed files.
  if (fs::exists(identity, ec) && !fs::is_regular_file(identity, ec)) {
    return Status(ErrorKind::kCorruption, identity + " is not a regular file: move it away (the store's identity "
                                                     "is written there)");
  }
  if (has_current) {
    // An existing store: open it, never create; but its manifest must be
    // there (RocksDB's own message for a missing one names no remedy).
    std::ifstream in(fs::path(db_path) / "CURRENT");
    std::string manifest;
    std::getline(in, manifest);
    if (manifest.empty() || !fs::exists(fs::path(db_path) / manifest, ec)) {
      return Status(ErrorKind::kCorruption,
                    db_path + "/CURRENT names " + (manifest.empty() ? std::string("no manifest") : manifest) +
                        ", which is missing: the store cannot be read. Restore a backup (basis-tree restore DIR)");
    }
    return Status::ok();
  }
  if (fs::exists(identity, ec)) {
    return Status(ErrorKind::kCorruption,
                  db_path + "/CURRENT is missing, but a store was created here (" + identity +
                      " says so): refusing to start an empty one in its place. Restore a backup "
                      "(basis-tree restore DIR), or, to give up this store's data and start empty, "
                      "remove " + db_path + " and " + identity);
  }
  if (fs::is_directory(db_path, ec)) {
    for (const auto& entry : fs::directory_iterator(db_path, ec)) {
      const std::string name = entry.path().filename().string();
      if (is_rocksdb_file(name)) {
        return Status(ErrorKind::kCorruption,
                      db_path + " holds RocksDB files (" + name + ") but no CURRENT: refusing to start an "
                      "empty store over them. Restore a backup (basis-tree restore DIR), or remove " +
                          db_path + " to start empty");
      }
    }
  }
  *may_create = true;
  return Status::ok();
}

namespace {
constexpr char kMarkLine[] = "durable_mark yes";
}  // namespace

bool identity_records_mark(const std::string& db_path) {
  std::ifstream in(identity_path(db_path));
  for (std::string line; std::getline(in, line);) {
    if (line == kMarkLine) return true;
  }
  return false;
}

Status record_store_identity(const std::string& db_path) {
  const std::string identity = identity_path(db_path);
  std::error_code ec;
  std::string text;
  if (fs::exists(identity, ec)) {
    if (identity_records_mark(db_path)) return Status::ok();
    std::ifstream in(identity);
    for (std::string line; std::getline(in, line);) text += line + "\n";
  } else {
    const auto created = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch()).count();
    text = "basis-trees store " + fs::path(db_path).filename().string() + "\ncreated_ms " + std::to_string(created) +
           "\n";
  }
  text += std::string(kMarkLine) + "\n";
  const std::string tmp = identity + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  bool ok = fd >= 0 && ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
  if (fd >= 0) ::close(fd);
  ok = ok && ::rename(tmp.c_str(), identity.c_str()) == 0;
  ok = ok && sync_path(fs::path(identity).parent_path().string().empty() ? "." : fs::path(identity).parent_path().string(),
                       O_RDONLY | O_DIRECTORY);
  if (!ok) return Status(ErrorKind::kIOError, "cannot write the store's identity file " + identity);
  return Status::ok();
}

}  // namespace basis::storage
