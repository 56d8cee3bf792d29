#!/usr/bin/env bash
# Configures and builds into build/ (or $BUILD_DIR) with -Werror; extra
# arguments go to cmake. BUILD_TYPE (default RelWithDebInfo; Debug, Release
# build warning-free too) and JOBS (default 2) from the environment.
#   BUILD_DIR=build-release BUILD_TYPE=Release scripts/build.sh
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${BUILD_DIR:-build}"
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" -DBASIS_WERROR=ON "$@"
cmake --build "$build_dir" -j"${JOBS:-2}"
