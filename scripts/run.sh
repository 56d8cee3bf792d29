#!/usr/bin/env bash
# Sets up, builds and runs. Until the daemon exists this is the benchmark's
# quick variant.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
exec build/bin/basis-bench W1 W2 W3 --quick
