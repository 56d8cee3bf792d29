#!/usr/bin/env bash
# Sets up, builds and runs the daemon, basis-treed, on its embedded default
# configuration (data in ./data, HTTP on 127.0.0.1:8686) or on the
# arguments given (for example --config examples/basis-treed.toml).
#
# The first run installs the packages (scripts/setup.sh) and configures and
# builds everything (scripts/build.sh). Once build/ is configured, a run
# only brings the daemon up to date (make's check, well under a second when
# nothing changed; CMake reconfigures by itself when a CMakeLists.txt did).
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${BUILD_DIR:-build}"
# Configured: CMake wrote the build system (a failed configure leaves only the cache).
if [ -f "$build_dir/Makefile" ] || [ -f "$build_dir/build.ninja" ]; then
  cmake --build "$build_dir" -j"${JOBS:-2}" --target basis-treed >&2  # standard output is the daemon's
else
  scripts/setup.sh >&2
  BUILD_DIR="$build_dir" scripts/build.sh >&2
fi
exec "$build_dir/bin/basis-treed" "$@"
