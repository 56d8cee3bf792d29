#!/usr/bin/env bash
# The long differential run against the reference oracle, a development aid
# that lives outside the project (../shared/oracle, or $BASIS_ORACLE_DIR):
# 20 seeds x 50,000 operations (1,000,000 in all) of random and adversarial
# streams through the prover, the verifier and the oracle, compared op by op.
#   scripts/differential.sh [basis-tree differential options]   e.g. --seeds 40 --seed-from 100
# A failing stream is written as a vector file to $BUILD_DIR/differential-mismatches/.
# Exit code: 0 no mismatch, 1 mismatches, 2 the oracle cannot run.
set -euo pipefail
cd "$(dirname "$0")/.."
oracle="${BASIS_ORACLE_DIR:-../shared/oracle}"
if [ ! -x "$oracle/run" ]; then
  echo "differential: no reference oracle at $oracle (set BASIS_ORACLE_DIR); nothing to compare against" >&2
  exit 2
fi
scripts/setup.sh
build_dir="${BUILD_DIR:-build}"
if [ ! -f "$build_dir/CMakeCache.txt" ]; then
  cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}"
fi
cmake --build "$build_dir" -j"${JOBS:-2}" --target basis-tree
# Later options win, so the caller's override these defaults.
exec "$build_dir/bin/basis-tree" differential --seeds 20 --ops 50000 \
  --oracle "$oracle" \
  --mismatch-dir "$build_dir/differential-mismatches" "$@"
