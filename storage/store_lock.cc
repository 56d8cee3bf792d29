#include "storage/store_lock.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace basis::storage {

tree::Status StoreLock::acquire(const std::string& db_dir, std::unique_ptr<StoreLock>* out) {
  std::error_code ec;
  std::filesystem::create_directories(db_dir, ec);
  const std::string path = (std::filesystem::path(db_dir) / "LOCK").string();
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
    if (error == EAGAIN || error == EACCES) {
      return tree::Status(tree::ErrorKind::kBusy, "the store " + db_dir +
                                                      " is in use by another process (a running basis-treed or "
                                                      "host): stop it first");
    }
    return tree::Status(tree::ErrorKind::kIOError, "locking " + path + ": " + std::strerror(error));
  }
  out->reset(new StoreLock(fd));
  return tree::Status::ok();
}

StoreLock::~StoreLock() { ::close(fd_); }

}  // namespace basis::storage
