#!/usr/bin/env bash
# Sets up, builds and runs every test with ctest.
#   scripts/test.sh              the normal build (build/)
#   scripts/test.sh --sanitize   an ASan + UBSan build (build-sanitize/)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
if [ "${1:-}" = "--sanitize" ]; then
  export BUILD_DIR=build-sanitize BUILD_TYPE=Debug
  scripts/build.sh -DBASIS_SANITIZE=ON
else
  scripts/build.sh
fi
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure -j2
