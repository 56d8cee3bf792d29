#include "storage/store_lock.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace basis::storage {

namespace {

tree::Status in_use(const std::string& db_dir, pid_t holder) {
  return tree::Status(tree::ErrorKind::kBusy,
                      "the store " + db_dir + " is in use by another process (" +
                          (holder > 0 ? "pid " + std::to_string(holder) + ": " : std::string()) +
                          "a running basis-treed or host): stop it first");
}

std::string lock_path(const std::string& db_dir) { return (std::filesystem::path(db_dir) / "LOCK").string(); }

}  // namespace

tree::Status StoreLock::check_not_held(const std::string& db_dir) {
  int fd = ::open(lock_path(db_dir).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return tree::Status::ok();  // no lock file: nobody holds it
  struct flock probe {};
  probe.l_type = F_WRLCK;
  probe.l_whence = SEEK_SET;  // the whole file, as RocksDB locks it
  const bool held = ::fcntl(fd, F_GETLK, &probe) == 0 && probe.l_type != F_UNLCK;
  ::close(fd);
  return held ? in_use(db_dir, probe.l_pid) : tree::Status::ok();
}

tree::Status StoreLock::acquire(const std::string& db_dir, std::unique_ptr<StoreLock>* out) {
  std::error_code ec;
  std::filesystem::create_directories(db_dir, ec);
  const std::string path = lock_path(db_dir);
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return tree::Status(tree::ErrorKind::kIOError, "opening " + path + ": " + std::strerror(errno));
  }
  struct flock lock {};
  lock.l_type = F_WRLCK;
  lock.l_whence = SEEK_SET;  // the whole file, as RocksDB locks it
  if (::fcntl(fd, F_SETLK, &lock) != 0) {
    const int error = errno;
    ::close(fd);
    if (error == EAGAIN || error == EACCES) return in_use(db_dir, 0);
    return tree::Status(tree::ErrorKind::kIOError, "locking " + path + ": " + std::strerror(error));
  }
  out->reset(new StoreLock(fd));
  return tree::Status::ok();
}

StoreLock::~StoreLock() { ::close(fd_); }

}  // namespace basis::storage
