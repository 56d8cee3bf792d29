#!/usr/bin/env bash
# Builds the libFuzzer targets with clang 14 in build-fuzz/ and fuzzes one of
# them, or each in turn, at low priority (nice 10), one job at a time.
#   scripts/fuzz.sh [SECONDS] [verifier|prover|daemon|all]    default 600 all
# SECONDS is per target. Corpora grow in build-fuzz/corpus/<target> (seeded
# on every run, so a fresh checkout starts from the seeds), crashes land in
# build-fuzz/artifacts/<target>/. FUZZ_ARGS adds libFuzzer flags, e.g.
# FUZZ_ARGS="-fork=1 -ignore_crashes=1" to go on past findings.
# Exits non-zero when a target found something.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
which="${2:-all}"
case "$which" in
  verifier|prover|daemon) targets=("$which") ;;
  all) targets=(verifier prover daemon) ;;
  *) echo "usage: scripts/fuzz.sh [SECONDS] [verifier|prover|daemon|all]" >&2; exit 2 ;;
esac
scripts/setup.sh
# Only the fuzz targets and what they link: the rest of the tree is not
# needed under the fuzz flags.
cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBASIS_FUZZ=ON -DBASIS_BUILD_TESTS=OFF \
  -DCMAKE_CXX_COMPILER=clang++-14
cmake --build build-fuzz -j"${JOBS:-2}" --target verifier_fuzz verifier_fuzz_seed_corpus prover_fuzz \
  prover_fuzz_seed_corpus daemon_request_fuzz

# UB is a finding too; CAF 0.17 has a known false positive in its headers
# (tests/ubsan.supp).
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$PWD/tests/ubsan.supp"

status=0
for t in "${targets[@]}"; do
  corpus="build-fuzz/corpus/$t"
  artifacts="build-fuzz/artifacts/$t"
  mkdir -p "$corpus" "$artifacts"
  args=(-max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$artifacts/")
  case "$t" in
    verifier)
      # Seeded from the proofs of every vector file in the repository: the
      # reference's and the project's own.
      build-fuzz/bin/verifier_fuzz_seed_corpus tests/vectors/reference "$corpus"
      build-fuzz/bin/verifier_fuzz_seed_corpus tests/vectors/project "$corpus"
      bin=build-fuzz/bin/verifier_fuzz; args+=(-max_len=65536) ;;
    prover)
      build-fuzz/bin/prover_fuzz_seed_corpus "$corpus"
      bin=build-fuzz/bin/prover_fuzz; args+=(-max_len=4096) ;;
    daemon)
      cp tests/fuzz/daemon_seeds/* "$corpus/"
      bin=build-fuzz/bin/daemon_request_fuzz
      # A request that takes a minute is a hang (compaction is let through rarely).
      args+=(-max_len=16384 -timeout=60 -dict=tests/fuzz/daemon.dict) ;;
  esac
  echo "== fuzzing $t for $seconds s"
  # The daemon target's store goes to a temporary directory of its own,
  # removed afterwards (a crash leaves it behind).
  tmp="$(mktemp -d "$PWD/build-fuzz/tmp.XXXXXX")"
  # shellcheck disable=SC2086  # FUZZ_ARGS is a list of flags
  if ! TMPDIR="$tmp" nice -n 10 "$bin" "$corpus" "${args[@]}" ${FUZZ_ARGS:-}; then
    echo "== $t: finding (see $artifacts/)" >&2
    status=1
  fi
  rm -rf "$tmp"
done
exit "$status"
