#!/usr/bin/env bash
# Installs every Debian package the build, the tests and the benchmarks need.
# Idempotent: when everything is already installed it only checks and exits.
# Run as root on Debian 12.
set -euo pipefail

packages=(
  g++ cmake make pkg-config
  libb2-dev catch2 nlohmann-json3-dev
  libcaf-dev librocksdb-dev libtomlplusplus-dev libspdlog-dev libfmt-dev
  libcpp-httplib-dev prometheus-cpp-dev libssl-dev openssl libcli11-dev
  clang-14 libclang-rt-14-dev
  nodejs npm
)

# The reference oracle (optional, for the differential tests: $BASIS_ORACLE_DIR,
# else ../shared/oracle beside the checkout) runs on node. NodeSource's nodejs
# package carries npm itself and conflicts with Debian's npm, so a command
# that is already there counts as the package.
present() {
  case "$1" in
    nodejs) command -v node >/dev/null 2>&1 && return 0 ;;
    npm) command -v npm >/dev/null 2>&1 && return 0 ;;
  esac
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

# Installs the oracle's npm dependency when the oracle is there (idempotent);
# the build and most tests do without it, so a failure only warns.
oracle_setup() {
  local oracle
  oracle="${BASIS_ORACLE_DIR:-$(cd "$(dirname "$0")/.." && pwd)/../shared/oracle}"
  if [ -x "$oracle/setup" ] && command -v node >/dev/null 2>&1; then
    "$oracle/setup" >/dev/null 2>&1 && echo "setup: reference oracle ready" ||
      echo "setup: warning: the reference oracle's setup failed; differential tests will skip" >&2
  fi
  return 0
}

missing=()
for p in "${packages[@]}"; do
  if ! present "$p"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  oracle_setup
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "setup: missing packages: ${missing[*]}; run this script as root to install them" >&2
  exit 1
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
oracle_setup
