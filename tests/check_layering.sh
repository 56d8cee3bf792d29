#!/usr/bin/env bash
# The layers' dependencies point one way: actors -> engine -> storage -> tree,
# with the public headers (include/basis) standing alone. Checks every
# #include of every source file against what its layer may include, and
# names each one that breaks the rule. Usage: check_layering.sh SOURCE_DIR
set -uo pipefail
cd "${1:?usage: check_layering.sh SOURCE_DIR}" || exit 2
status=0

# forbid LAYER REGEX WHY: no file under LAYER may include a header matching REGEX.
forbid() {
  local layer=$1 regex=$2 why=$3 hits
  hits=$(grep -rnE "^[[:space:]]*#[[:space:]]*include[[:space:]]*[<\"]($regex)" "$layer" \
           --include='*.h' --include='*.cc' --include='*.in' 2>/dev/null)
  if [ -n "$hits" ]; then
    echo "layering: $layer must not include $regex ($why):"
    echo "$hits" | sed 's/^/  /'
    status=1
  fi
}

# The public headers: the embedding API and the tree, nothing internal and
# nothing of CAF, RocksDB, the logger or the TOML parser.
forbid include/basis 'tree/|storage/|engine/|actors/|config/|tools/|examples/|caf/|rocksdb/|spdlog/|toml\+\+/|nlohmann/' \
  "a host sees only include/basis"
# The tree is pure computation.
forbid tree 'basis/(runtime|batch|reports|config)\.h|storage/|engine/|actors/|config/|caf/|rocksdb/|spdlog/' \
  "tree/ builds without RocksDB or CAF"
forbid include/basis/tree 'basis/(runtime|batch|reports|config)\.h' "the tree knows nothing of the runtime"
forbid config 'basis/tree/|storage/|engine/|actors/|caf/|rocksdb/' "the configuration stands alone"
forbid storage 'basis/(runtime|batch|reports)\.h|engine/|actors/|caf/|spdlog/' "storage sits below the engine"
forbid engine 'basis/runtime\.h|actors/|caf/' "the engine is CAF-free and below the actors"
forbid actors 'tools/|examples/|bench/|tests/' "nothing below uses a tool or an example"
forbid tools 'actors/|caf/|basis/runtime\.h' "the admin tool works on a store no runtime holds, without CAF"
# Only the storage layer talks to RocksDB (every read of a family through its storage class).
forbid engine 'rocksdb/' "RocksDB is reached through storage/"
forbid actors 'rocksdb/' "RocksDB is reached through storage/"
forbid tools 'rocksdb/' "RocksDB is reached through storage/"

if [ $status -eq 0 ]; then echo "layering: every include follows actors -> engine -> storage -> tree"; fi
exit $status
