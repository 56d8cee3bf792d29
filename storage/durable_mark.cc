#include "storage/durable_mark.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <random>

#include "storage/crc32c.h"

namespace basis::storage {

using tree::ErrorKind;

namespace {

constexpr char kMagic[8] = {'B', 'T', 'M', 'A', 'R', 'K', '2', '\0'};
constexpr size_t kBootBytes = 40;
constexpr size_t kStoreIdOffset = 28 + kBootBytes;
constexpr size_t kSlotBytes = kStoreIdOffset + kMarkStoreIdBytes + 4;
// One page apart: a torn write of one slot leaves the other whole.
constexpr off_t kSlotOffset[2] = {0, 4096};

void put64(char* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>(v >> (8 * i));
}
uint64_t get64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}

struct Slot {
  uint64_t generation = 0;
  MarkState state;
};

std::string encode_slot(const Slot& s) {
  std::string out(kSlotBytes, '\0');
  char* p = out.data();
  std::memcpy(p, kMagic, 8);
  put64(p + 8, s.generation);
  put64(p + 16, s.state.sequence);
  p[24] = s.state.synced ? 1 : 0;  // flags (bytes 24..27)
  std::memcpy(p + 28, s.state.boot_id.data(), std::min(s.state.boot_id.size(), kBootBytes));
  std::memcpy(p + kStoreIdOffset, s.state.store_id.data(), std::min(s.state.store_id.size(), kMarkStoreIdBytes));
  const uint32_t crc = crc32c(std::string_view(out.data(), kSlotBytes - 4));
  for (int i = 0; i < 4; ++i) p[kSlotBytes - 4 + i] = static_cast<char>(crc >> (8 * i));
  return out;
}

bool decode_slot(const char* p, Slot* out) {
  if (std::memcmp(p, kMagic, 8) != 0) return false;
  uint32_t crc = 0;
  for (int i = 0; i < 4; ++i) crc |= static_cast<uint32_t>(static_cast<unsigned char>(p[kSlotBytes - 4 + i])) << (8 * i);
  if (crc != crc32c(std::string_view(p, kSlotBytes - 4))) return false;
  out->generation = get64(p + 8);
  out->state.sequence = get64(p + 16);
  out->state.synced = (p[24] & 1) != 0;
  out->state.boot_id.assign(p + 28, strnlen(p + 28, kBootBytes));
  out->state.store_id.assign(p + kStoreIdOffset, strnlen(p + kStoreIdOffset, kMarkStoreIdBytes));
  return true;
}

// The valid slot with the highest generation; false when none is valid.
bool read_slots(int fd, Slot* out) {
  bool found = false;
  for (off_t offset : kSlotOffset) {
    char buf[kSlotBytes];
    Slot s;
    if (::pread(fd, buf, kSlotBytes, offset) == static_cast<ssize_t>(kSlotBytes) && decode_slot(buf, &s) &&
        (!found || s.generation > out->generation)) {
      *out = s;
      found = true;
    }
  }
  return found;
}

}  // namespace

std::string DurableMark::path_for(const std::string& db_path) {
  std::string p = db_path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p + ".durable";
}

std::string DurableMark::current_boot_id() {
  static const std::string id = [] {  // read once: it changes only with a reboot
    std::string text;
    std::getline(std::ifstream("/proc/sys/kernel/random/boot_id"), text);
    return text.substr(0, kBootBytes);
  }();
  return id;
}

Status DurableMark::read(const std::string& db_path, MarkState* out) {
  const std::string path = path_for(db_path);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status(ErrorKind::kNotFound, path + " is missing");
    return Status(ErrorKind::kIOError, "cannot read " + path + ": " + std::strerror(errno));
  }
  Slot slot;
  const bool found = read_slots(fd, &slot);
  ::close(fd);
  if (!found) return Status(ErrorKind::kCorruption, path + " is damaged: neither of its slots has a valid checksum");
  *out = slot.state;
  return Status::ok();
}

std::string DurableMark::new_store_id() {
  std::random_device random;
  static const char kHex[] = "0123456789abcdef";
  std::string id;
  while (id.size() < kMarkStoreIdBytes) {
    const uint32_t r = random();
    for (int i = 0; i < 8 && id.size() < kMarkStoreIdBytes; ++i) id.push_back(kHex[(r >> (4 * i)) & 15]);
  }
  return id;
}

Status DurableMark::open(const std::string& db_path, uint64_t initial, const std::string& store_id,
                         std::unique_ptr<DurableMark>* out) {
  const std::string path = path_for(db_path);
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Status(ErrorKind::kIOError, "cannot open " + path + ": " + std::strerror(errno));
  std::unique_ptr<DurableMark> mark(new DurableMark(path, fd, store_id.substr(0, kMarkStoreIdBytes)));
  Slot slot;
  if (read_slots(fd, &slot) && slot.state.store_id == mark->store_id_) {
    mark->generation_ = slot.generation;
    mark->sequence_ = slot.state.sequence;
  } else {
    std::lock_guard<std::mutex> lock(mark->mu_);
    if (Status s = mark->write_locked(initial, true); !s.is_ok()) return s;
    // A new file: its name must survive a power loss too.
    if (::fsync(fd) != 0) return Status(ErrorKind::kIOError, "cannot sync " + path);
    std::string dir = path.substr(0, path.find_last_of('/') == std::string::npos ? 0 : path.find_last_of('/'));
    int dfd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
      (void)::fsync(dfd);
      ::close(dfd);
    }
    mark->dirty_ = false;
  }
  *out = std::move(mark);
  return Status::ok();
}

Status DurableMark::write_state(const std::string& db_path, const MarkState& state) {
  const std::string path = path_for(db_path);
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status(ErrorKind::kIOError, "cannot write " + path + ": " + std::strerror(errno));
  const std::string bytes = encode_slot(Slot{1, state});
  const bool ok = ::pwrite(fd, bytes.data(), bytes.size(), kSlotOffset[1]) == static_cast<ssize_t>(bytes.size()) &&
                  ::fsync(fd) == 0;
  ::close(fd);
  return ok ? Status::ok() : Status(ErrorKind::kIOError, "cannot write " + path);
}

DurableMark::~DurableMark() {
  (void)sync();
  ::close(fd_);
}

Status DurableMark::write_locked(uint64_t sequence, bool synced) {
  Slot slot;
  slot.generation = generation_ + 1;
  slot.state = MarkState{sequence, synced, current_boot_id(), store_id_};
  const std::string bytes = encode_slot(slot);
  if (::pwrite(fd_, bytes.data(), bytes.size(), kSlotOffset[slot.generation % 2]) !=
      static_cast<ssize_t>(bytes.size())) {
    return Status(ErrorKind::kIOError, "cannot write " + path_ + ": " + std::strerror(errno));
  }
  generation_ = slot.generation;
  sequence_ = sequence;
  dirty_ = true;
  return Status::ok();
}

Status DurableMark::advance(uint64_t sequence, bool synced) {
  std::lock_guard<std::mutex> lock(mu_);
  if (sequence <= sequence_) return Status::ok();
  return write_locked(sequence, synced);
}

Status DurableMark::set(uint64_t sequence) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (Status s = write_locked(sequence, true); !s.is_ok()) return s;
  }
  return sync();
}

Status DurableMark::sync() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!dirty_) return Status::ok();
    dirty_ = false;
  }
  if (::fdatasync(fd_) != 0) return Status(ErrorKind::kIOError, "cannot sync " + path_ + ": " + std::strerror(errno));
  return Status::ok();
}

uint64_t DurableMark::sequence() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sequence_;
}

}  // namespace basis::storage
