#!/usr/bin/env bash
# ctest splits a discovered test's name at ';' (a CMake list): such a test
# runs a Catch filter that matches nothing, and passes without running.
# Usage: check_test_names.sh TESTS_DIR
set -uo pipefail
dir="${1:?usage: check_test_names.sh TESTS_DIR}"
if grep -nE -A2 'TEST_CASE\(' "$dir"/*.cc | grep -E '^[^ ]+[-:][0-9]+[-:][^"]*"[^"]*;'; then
  echo "a test name holds a semicolon"
  exit 1
fi
echo "no test name holds a semicolon"
