#include "storage/node_ingest.h"

#include <rocksdb/db.h>
#include <rocksdb/sst_file_writer.h>
#include <rocksdb/write_batch.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>

#include "storage/coding.h"

namespace basis::storage {

namespace {

// Calls `put(key, record)` for each node of the sorted `nodes` once (a
// repeated label is the same node, with the same record), its key in the
// tree's keyspace; stops at the first failure.
template <typename Put>
Status each_node(EncodedNodes nodes, const Keyspace& keyspace, Put put) {
  const tree::Label* previous = nullptr;
  std::string prefixed;
  for (const auto& [label, record] : nodes) {
    if (previous && *previous == label) continue;
    previous = &label;
    std::string_view key = chars_of(tree::ByteView(label));
    if (!keyspace.is_default()) {  // one prefix for all: still sorted
      prefixed = keyspace.key(key);
      key = prefixed;
    }
    if (Status s = put(key, record); !s.is_ok()) return s;
  }
  return Status::ok();
}

}  // namespace

Status ingest_nodes(Database* db, EncodedNodes nodes, const Keyspace& keyspace) {
  if (nodes.empty()) return Status::ok();
  // RocksDB 7.8 aborts (TableFileName asserts) when asked to ingest after
  // its WAL failed: refuse first.
  if (Status failed = db->wal_failure(); !failed.is_ok()) return failed;
  // The table, then its copy into the store's level: never into a full disk.
  uint64_t bytes = 0;
  for (const auto& n : nodes) bytes += n.first.size() + n.second.size();
  if (Status room = db->check_room(db->compaction_reserve() / 2 + 2 * bytes, "writing nodes to"); !room.is_ok()) {
    return room;
  }
  std::sort(nodes.begin(), nodes.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  if (bytes < db->ingest_min_bytes()) {
    rocksdb::WriteBatch batch;
    rocksdb::ColumnFamilyHandle* family = db->handle(keyspace.family(Family::kNodes));
    Status put = each_node(nodes, keyspace, [&](std::string_view key, const std::string& record) {
      return from_rocksdb(batch.Put(family, rocksdb::Slice(key.data(), key.size()), record),
                          "writing nodes to " + db->path());
    });
    if (!put.is_ok()) return put;
    return db->write(&batch, /*sync=*/true);  // durable, as an ingested file is
  }
  static std::atomic<uint64_t> counter{0};
  std::string path = (std::filesystem::path(db->path()) /
                      ("ingest-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + ".sst"))
                         .string();
  rocksdb::Options options;  // nodes are stored uncompressed (see DatabaseOptions)
  options.compression = rocksdb::kNoCompression;
  options.env = db->raw()->GetEnv();  // the database's file system, faults and all
  rocksdb::SstFileWriter writer(rocksdb::EnvOptions(), options, db->handle(keyspace.family(Family::kNodes)));
  if (Status s = from_rocksdb(writer.Open(path), "creating " + path); !s.is_ok()) return s;
  if (Status s = each_node(nodes, keyspace,
                           [&](std::string_view key, const std::string& record) {
                             return from_rocksdb(writer.Put(rocksdb::Slice(key.data(), key.size()), record),
                                                 "writing " + path);
                           });
      !s.is_ok()) {
    return s;
  }
  if (Status s = from_rocksdb(writer.Finish(), "finishing " + path); !s.is_ok()) return s;
  rocksdb::IngestExternalFileOptions ingest;
  ingest.move_files = true;
  ingest.verify_checksums_before_ingest = true;  // what reached the disk is what was written
  Status s = from_rocksdb(db->raw()->IngestExternalFile(db->handle(keyspace.family(Family::kNodes)), {path}, ingest),
                          "ingesting " + path);
  std::error_code ec;
  std::filesystem::remove(path, ec);  // left only if ingestion did not move it
  return s;
}

}  // namespace basis::storage
