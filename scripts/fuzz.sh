#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and fuzzes the verifier.
#   scripts/fuzz.sh [SECONDS]     default 600
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
seconds="${1:-600}"
BUILD_DIR=build-fuzz BUILD_TYPE=RelWithDebInfo \
  scripts/build.sh -DBASIS_FUZZ=ON -DBASIS_BUILD_TESTS=OFF -DCMAKE_CXX_COMPILER=clang++-14
corpus=build-fuzz/corpus/verifier
mkdir -p "$corpus"
build-fuzz/bin/verifier_fuzz_seed_corpus ../shared/vectors "$corpus"
exec build-fuzz/bin/verifier_fuzz "$corpus" -max_total_time="$seconds" -max_len=65536 \
  -print_final_stats=1
