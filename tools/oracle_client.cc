#include "tools/oracle_client.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>

namespace basis::tools {

using namespace basis::tree;
using nlohmann::json;

namespace {

// An answer line this long is refused: no batch the driver sends comes near
// it (1,500 operations with values of a few KB), so it means a runaway oracle.
constexpr size_t kMaxAnswerLine = size_t{512} << 20;

Status io_error(std::string what) { return Status(ErrorKind::kIOError, std::move(what)); }

std::string tail_of(const std::string& path) {
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  constexpr size_t kTail = 600;
  if (text.size() > kTail) text = "..." + text.substr(text.size() - kTail);
  return text;
}

// Runs `dir`/run replay.js with stdin from `in`, stdout to `out`, stderr to
// `err`. No shell: paths are passed as they are.
Status spawn_replay(const std::string& dir, const std::string& in, const std::string& out,
                    const std::string& err) {
  std::string run = dir + "/run";
  if (access(run.c_str(), X_OK) != 0) return io_error("no executable " + run);
  pid_t pid = fork();
  if (pid < 0) return io_error("fork failed");
  if (pid == 0) {
    int fi = open(in.c_str(), O_RDONLY);
    int fo = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int fe = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fi < 0 || fo < 0 || fe < 0) _exit(126);
    dup2(fi, 0);
    dup2(fo, 1);
    dup2(fe, 2);
    execl(run.c_str(), run.c_str(), "replay.js", static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return io_error("waitpid failed");
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return io_error(run + " replay.js " +
                    (WIFEXITED(status) ? "exited with " + std::to_string(WEXITSTATUS(status))
                                       : std::string("was killed")) +
                    ": " + tail_of(err));
  }
  return Status::ok();
}

bool hex_of(const json& j, const char* field, Bytes* out) {
  return j.contains(field) && j[field].is_string() && from_hex(j[field].get<std::string>(), out);
}

Status parse_batch(const json& j, size_t expected_ops, OracleBatch* b) {
  if (!j.is_object() || !j.contains("results") || !j["results"].is_array() ||
      j["results"].size() != expected_ops || !hex_of(j, "proof", &b->proof) ||
      !hex_of(j, "digest", &b->digest)) {
    return io_error("the oracle's answer is not a batch of " + std::to_string(expected_ops) +
                    " results");
  }
  for (const json& r : j["results"]) {
    OracleOpResult o;
    if (!r.contains("ok") || !r["ok"].is_boolean() || !hex_of(r, "digest", &o.digest)) {
      return io_error("the oracle's result has no ok or digest");
    }
    o.ok = r["ok"].get<bool>();
    if (o.ok && r.contains("old") && !r["old"].is_null()) {
      Bytes old;
      if (!hex_of(r, "old", &old)) return io_error("the oracle's old value is not hex");
      o.old = std::move(old);
    }
    if (!o.ok) {
      o.error = r.value("error", std::string("Other"));
      o.message = r.value("message", std::string());
    }
    b->results.push_back(std::move(o));
  }
  return Status::ok();
}

Status read_answers(const std::string& path, const std::vector<GenBatch>& batches,
                    OracleRun* out) {
  std::ifstream in(path);
  if (!in) return io_error("cannot read the oracle's answers " + path);
  std::string line;
  size_t index = 0;  // 0: the empty digest, then batch index + 1
  while (std::getline(in, line)) {
    if (line.size() > kMaxAnswerLine) return io_error("oracle answer line too long");
    json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return io_error("the oracle wrote a line that is not JSON");
    if (index == 0) {
      if (!hex_of(j, "emptyDigest", &out->empty_digest)) return io_error("no emptyDigest");
    } else {
      if (index > batches.size()) return io_error("the oracle answered more batches than sent");
      OracleBatch b;
      if (Status s = parse_batch(j, batches[index - 1].size(), &b); !s.is_ok()) {
        return io_error("batch " + std::to_string(index - 1) + ": " + s.message());
      }
      out->batches.push_back(std::move(b));
    }
    ++index;
  }
  if (index != batches.size() + 1) {
    return io_error("the oracle answered " + std::to_string(index) + " lines, expected " +
                    std::to_string(batches.size() + 1));
  }
  return Status::ok();
}

}  // namespace

std::string find_oracle_dir(const std::string& explicit_dir) {
  if (!explicit_dir.empty()) return explicit_dir;
  if (const char* env = std::getenv("BASIS_ORACLE_DIR"); env && *env) return env;
  return "../shared/oracle";
}

json op_json(const GenOp& op) {
  json j = {{"type", std::string(op_type_name(op.type))}, {"key", to_hex(view(op.key))}};
  switch (op.type) {
    case OpType::kInsert:
    case OpType::kUpdate:
    case OpType::kInsertOrUpdate: j["value"] = to_hex(view(op.value)); break;
    case OpType::kUpdateLongBy: j["delta"] = std::to_string(op.delta); break;
    default: break;
  }
  return j;
}

Status run_oracle(const std::string& dir, const std::string& work_dir, const TreeParams& params,
                  const std::vector<GenBatch>& batches, OracleRun* out) {
  *out = OracleRun();
  std::string in_path = work_dir + "/ops.jsonl", out_path = work_dir + "/answers.jsonl",
              err_path = work_dir + "/stderr.txt";
  {
    std::ofstream in(in_path, std::ios::trunc);
    json header = {{"keyLength", params.key_length}, {"valueLength", nullptr}};
    if (params.value_length) header["valueLength"] = *params.value_length;
    in << header.dump() << '\n';
    for (const GenBatch& b : batches) {
      json ops = json::array();
      for (const GenOp& op : b) ops.push_back(op_json(op));
      in << ops.dump() << '\n';
    }
    if (!in.flush()) return io_error("cannot write " + in_path);
  }
  if (Status s = spawn_replay(dir, in_path, out_path, err_path); !s.is_ok()) return s;
  try {
    return read_answers(out_path, batches, out);
  } catch (const json::exception& e) {  // a field of an unexpected type
    return io_error(std::string("the oracle's answers do not parse: ") + e.what());
  }
}

Status probe_oracle(const std::string& dir, const std::string& work_dir) {
  OracleRun run;
  if (Status s = run_oracle(dir, work_dir, TreeParams{}, {}, &run); !s.is_ok()) return s;
  if (run.empty_digest.size() != kDigestSize) return io_error("the oracle's empty digest is not 33 bytes");
  return Status::ok();
}

}  // namespace basis::tools
