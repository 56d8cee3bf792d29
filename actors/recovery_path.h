// Which way start-up recovery reached the tree it serves.
#pragma once

namespace basis::actors {

enum class RecoveryPath {
  kEmpty,             // a new store
  kLatestCheckpoint,  // the normal way: latest checkpoint + the log after it
  kOlderCheckpoint,   // a newer checkpoint was refused (see the fallbacks)
  kFullReplay,        // every checkpoint was refused: the whole log from the empty tree
  kNotesRebuild,      // the log could not be replayed either: rebuilt from the notes
};

// "empty", "latest_checkpoint", "older_checkpoint", "full_replay", "notes_rebuild".
const char* recovery_path_name(RecoveryPath p);

}  // namespace basis::actors
