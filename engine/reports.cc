#include "basis/reports.h"

namespace basis {

const char* recovery_path_name(RecoveryPath p) {
  switch (p) {
    case RecoveryPath::kEmpty: return "empty";
    case RecoveryPath::kLatestCheckpoint: return "latest_checkpoint";
    case RecoveryPath::kOlderCheckpoint: return "older_checkpoint";
    case RecoveryPath::kFullReplay: return "full_replay";
    case RecoveryPath::kNotesRebuild: return "notes_rebuild";
  }
  return "?";
}

const char* verification_state_name(VerificationState s) {
  switch (s) {
    case VerificationState::kNotRun: return "not_run";
    case VerificationState::kRunning: return "running";
    case VerificationState::kPassed: return "passed";
    case VerificationState::kFailed: return "failed";
  }
  return "?";
}

}  // namespace basis
