#include "storage/oplog_archive.h"

#include <fcntl.h>
#include <unistd.h>

#include <rocksdb/options.h>
#include <rocksdb/sst_file_reader.h>
#include <rocksdb/sst_file_writer.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <optional>

#include "storage/coding.h"

namespace basis::storage {

using tree::ErrorKind;

namespace {

std::string file_name(uint64_t first, uint64_t last) {
  char name[80];
  std::snprintf(name, sizeof name, "operations-%020" PRIu64 "-%020" PRIu64 ".sst", first, last);
  return name;
}

bool parse_name(const std::string& name, uint64_t* first, uint64_t* last) {
  unsigned long long a = 0, b = 0;
  char tail[8] = {0};
  if (std::sscanf(name.c_str(), "operations-%20llu-%20llu.%3s", &a, &b, tail) != 3) return false;
  if (std::string(tail) != "sst" || name != file_name(a, b)) return false;
  *first = a;
  *last = b;
  return true;
}

Status sync_directory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return Status(ErrorKind::kIOError, "cannot open " + dir);
  bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok ? Status::ok() : Status(ErrorKind::kIOError, "cannot sync " + dir);
}

}  // namespace

Status archive_records(const Oplog& log, uint64_t first, uint64_t last, const std::string& dir, ArchiveFile* out) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status(ErrorKind::kIOError, "cannot create " + dir + ": " + ec.message());
  ArchiveFile file{(std::filesystem::path(dir) / file_name(first, last)).string(), first, last};
  std::string partial = file.path + ".partial";
  rocksdb::Options options;
  options.compression = rocksdb::kZSTD;
  rocksdb::SstFileWriter writer(rocksdb::EnvOptions(), options);
  Status s = from_rocksdb(writer.Open(partial), "creating " + partial);
  uint64_t written = 0;
  if (s.is_ok()) {
    Status put;
    s = log.scan(first, last, [&](const OperationRecord& r) {
      // Only the file's first record repeats its digest before: a file is read whole.
      put = from_rocksdb(writer.Put(sequence_key(r.sequence), encode(r, r.sequence == first)), "writing " + partial);
      ++written;
      return put.is_ok();
    });
    if (s.is_ok()) s = put;
  }
  if (s.is_ok() && written != last - first + 1) {
    s = Status(ErrorKind::kCorruption, "the log holds " + std::to_string(written) + " of records " +
                                           std::to_string(first) + ".." + std::to_string(last));
  }
  if (s.is_ok()) s = from_rocksdb(writer.Finish(), "finishing " + partial);  // synced
  // Read it back before the records may leave the log.
  if (s.is_ok()) {
    uint64_t seen = 0;
    s = read_archive(ArchiveFile{partial, first, last}, [&](const OperationRecord&) { return ++seen, true; });
    if (s.is_ok() && seen != written) s = Status(ErrorKind::kCorruption, partial + " does not read back whole");
  }
  if (s.is_ok()) {
    std::filesystem::rename(partial, file.path, ec);
    if (ec) s = Status(ErrorKind::kIOError, "cannot rename " + partial + ": " + ec.message());
  }
  if (s.is_ok()) s = sync_directory(dir);
  if (!s.is_ok()) {
    std::filesystem::remove(partial, ec);
    return s;
  }
  *out = file;
  return Status::ok();
}

Status list_archives(const std::string& dir, std::vector<ArchiveFile>* out) {
  out->clear();
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) return Status::ok();
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    ArchiveFile f;
    if (parse_name(e.path().filename().string(), &f.first, &f.last)) {
      f.path = e.path().string();
      out->push_back(f);
    }
  }
  if (ec) return Status(ErrorKind::kIOError, "cannot list " + dir + ": " + ec.message());
  std::sort(out->begin(), out->end(), [](const ArchiveFile& a, const ArchiveFile& b) { return a.first < b.first; });
  return Status::ok();
}

Status read_archive(const ArchiveFile& file, const std::function<bool(const OperationRecord&)>& fn) {
  rocksdb::Options options;
  rocksdb::SstFileReader reader(options);
  if (Status s = from_rocksdb(reader.Open(file.path), "opening " + file.path); !s.is_ok()) return s;
  if (Status s = from_rocksdb(reader.VerifyChecksum(), "checking " + file.path); !s.is_ok()) return s;
  std::unique_ptr<rocksdb::Iterator> it(reader.NewIterator(rocksdb::ReadOptions()));
  uint64_t expected = file.first;
  std::optional<Digest> previous;
  OperationRecord rec;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    std::string_view key(it->key().data(), it->key().size());
    bool has_before = true;
    if (Status s = decode(std::string_view(it->value().data(), it->value().size()), key, &rec, &has_before);
        !s.is_ok()) {
      return Status(s.kind(), file.path + ": " + s.message());
    }
    if (!has_before && !previous) {
      return Status(ErrorKind::kCorruption, file.path + ": record " + std::to_string(rec.sequence) +
                                                " leaves its digest before to a record the file does not hold");
    }
    if (!has_before) rec.digest_before = *previous;
    if (rec.sequence != expected) {
      return Status(ErrorKind::kCorruption, file.path + ": expected record " + std::to_string(expected) +
                                                ", found " + std::to_string(rec.sequence));
    }
    if (previous && rec.digest_before != *previous) {
      return Status(ErrorKind::kCorruption, file.path + ": record " + std::to_string(rec.sequence) +
                                                " does not follow the digest of the one before");
    }
    previous = rec.digest_after;
    ++expected;
    if (!fn(rec)) return Status::ok();
  }
  if (Status s = from_rocksdb(it->status(), "reading " + file.path); !s.is_ok()) return s;
  if (expected != file.last + 1) {
    return Status(ErrorKind::kCorruption, file.path + " ends at record " + std::to_string(expected - 1) +
                                              ", its name says " + std::to_string(file.last));
  }
  return Status::ok();
}

}  // namespace basis::storage
