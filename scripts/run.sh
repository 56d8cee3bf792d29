#!/usr/bin/env bash
# Sets up, builds and runs the daemon, basis-treed, on its embedded default
# configuration (data in ./data, HTTP on 127.0.0.1:8686) or on the
# arguments given (for example --config examples/basis-treed.toml).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
exec build/bin/basis-treed "$@"
