#!/usr/bin/env bash
# The install test (ctest: install.consumer): installs the build into a fresh
# prefix and uses it as a host would.
#   install_test.sh BUILD_DIR SOURCE_DIR WORK_DIR VERSION
# (the compiler is the build's own, read from its CMakeCache.txt)
# 1. every installed public header compiles alone against the prefix, and
#    includes nothing but the standard library and other basis/ headers;
# 2. the exported CMake targets carry no warning flags and no private dependency,
#    and the libraries export only namespace basis (with its type information);
# 3. tests/install_consumer builds with find_package(basis_trees 0.14) and runs
#    (a Runtime in a temporary directory, and basis::tree alone); 0.15 is refused;
# 4. the same host builds from pkg-config's flags (basis-trees, basis-tree) and runs.
set -euo pipefail
build=$1 source=$2 work=$3 version=$4
cxx=$(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' "$build/CMakeCache.txt")
prefix="$work/prefix"
fail() { echo "install test: FAILED: $*" >&2; exit 1; }
step() { echo "== $*"; }

rm -rf "$work"
mkdir -p "$work"
step "cmake --install $build --prefix $prefix"
cmake --install "$build" --prefix "$prefix" >"$work/install.log" || { cat "$work/install.log"; fail "install"; }

libdir=$(dirname "$(find "$prefix" -name libbasis_runtime.so -print -quit)")
[ -n "$libdir" ] && [ "$libdir" != . ] || fail "no libbasis_runtime.so under $prefix"
for f in include/basis/runtime.h include/basis/batch.h include/basis/reports.h include/basis/config.h \
         include/basis/version.h include/basis/tree/batch_prover.h include/basis/tree/batch_verifier.h; do
  [ -f "$prefix/$f" ] || fail "$f not installed"
done
for f in libbasis_tree.so "libbasis_runtime.so.$version" cmake/basis_trees/basis_treesConfig.cmake \
         cmake/basis_trees/basis_treesConfigVersion.cmake pkgconfig/basis-trees.pc pkgconfig/basis-tree.pc; do
  [ -e "$libdir/$f" ] || fail "$libdir/$f not installed"
done
grep -q "BASIS_VERSION_STRING \"$version\"" "$prefix/include/basis/version.h" || fail "version.h is not $version"

step "each public header alone"
headers=$(cd "$prefix/include" && find basis -name '*.h' | sort)
[ "$(echo "$headers" | wc -l)" -ge 15 ] || fail "too few headers installed: $headers"
for h in $headers; do
  # Angle includes: standard library headers only (no directory, no extension:
  # <caf/all.hpp>, <rocksdb/db.h>, <blake2.h> are refused). Quoted: basis/ only.
  while read -r inc; do
    case "$inc" in
      \<*\>) name=${inc:1:-1}
             [[ "$name" =~ ^[a-z_0-9]+$ ]] || fail "$h includes $inc, not a standard library header" ;;
      \"*\") name=${inc:1:-1}
             [[ "$name" == basis/* ]] && [ -f "$prefix/include/$name" ] ||
               fail "$h includes $inc, which is not an installed basis/ header" ;;
      *) fail "$h: unexpected include $inc" ;;
    esac
  done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*\([<"][^>"]*[>"]\).*/\1/p' "$prefix/include/$h")
  echo "#include \"$h\"" >"$work/header_alone.cc"
  (cd "$work" && "$cxx" -std=c++20 -Wall -Wextra -Werror -fsyntax-only -I "$prefix/include" header_alone.cc) ||
    fail "$h does not compile alone against $prefix/include"
done
echo "$(echo "$headers" | wc -l) headers compile alone and include only the standard library and basis/"

step "exported targets and symbols"
targets="$libdir/cmake/basis_trees/basis_treesTargets.cmake"
grep -n 'INTERFACE_COMPILE_OPTIONS\|-Werror\|-Wall' "$targets" && fail "the exported targets carry compile options"
grep -n 'INTERFACE_LINK_LIBRARIES' "$targets" | grep -v '"basis::tree"' && fail "the exported targets leak dependencies"
for lib in libbasis_tree.so libbasis_runtime.so; do
  leaked=$(nm -D --defined-only "$libdir/$lib" | c++filt | awk '$2 ~ /[TWVDBRi]/ {$1=""; $2=""; print}' |
           grep -v '^ *basis::\|for basis::\|^ *BASIS_' || true)
  [ -z "$leaked" ] || fail "$lib exports symbols outside namespace basis: $(echo "$leaked" | head -5)"
done
tree_symbols=$(nm -D --defined-only "$libdir/libbasis_tree.so" | c++filt)
for sym in 'typeinfo for basis::tree::BatchProver' 'vtable for basis::tree::BatchVerifier'; do
  grep -qF " $sym" <<<"$tree_symbols" || fail "libbasis_tree.so does not export $sym"
done
echo "no compile options or private dependencies exported; only namespace basis in the libraries' symbols," \
     "with its classes' type information"

step "host with find_package(basis_trees 0.14)"
consumer="$source/tests/install_consumer"
cmake -S "$consumer" -B "$work/host-cmake" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_CXX_COMPILER="$cxx" \
      -DCMAKE_BUILD_TYPE=Release >"$work/host-cmake.log" 2>&1 || { cat "$work/host-cmake.log"; fail "configure"; }
cmake --build "$work/host-cmake" -j2 >>"$work/host-cmake.log" 2>&1 || { cat "$work/host-cmake.log"; fail "build"; }
"$work/host-cmake/host_runtime" || fail "host_runtime (find_package)"
"$work/host-cmake/host_tree" || fail "host_tree (find_package)"
if cmake -S "$consumer" -B "$work/host-0.15" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_CXX_COMPILER="$cxx" \
         -DBASIS_REQUIRED_VERSION=0.15 >"$work/host-0.15.log" 2>&1; then
  fail "find_package(basis_trees 0.15) accepted version $version"
fi
grep -q "basis_treesConfig.cmake, version: $version" "$work/host-0.15.log" ||
  { cat "$work/host-0.15.log"; fail "find_package(basis_trees 0.15) failed, but not on the version"; }
echo "find_package(basis_trees 0.15) refused $version"

step "host with pkg-config"
export PKG_CONFIG_PATH="$libdir/pkgconfig"
[ "$(pkg-config --modversion basis-trees)" = "$version" ] || fail "basis-trees.pc is not version $version"
pc_libdir=$(pkg-config --variable=libdir basis-trees)
[ "$(cd "$pc_libdir" && pwd -P)" = "$(cd "$libdir" && pwd -P)" ] || fail "basis-trees.pc's libdir $pc_libdir"
echo "basis-trees: $(pkg-config --cflags --libs basis-trees)"
mkdir -p "$work/host-pc"
# shellcheck disable=SC2046  # pkg-config's flags are words
"$cxx" -std=c++20 -Wall -Wextra -Werror -o "$work/host-pc/host_runtime" "$consumer/main.cc" \
       "$consumer/tree_roundtrip.cc" $(pkg-config --cflags --libs basis-trees) -Wl,-rpath,"$pc_libdir" ||
  fail "build with basis-trees.pc"
# shellcheck disable=SC2046
"$cxx" -std=c++20 -Wall -Wextra -Werror -o "$work/host-pc/host_tree" "$consumer/tree_main.cc" \
       "$consumer/tree_roundtrip.cc" $(pkg-config --cflags --libs basis-tree) -Wl,-rpath,"$pc_libdir" ||
  fail "build with basis-tree.pc"
"$work/host-pc/host_runtime" || fail "host_runtime (pkg-config)"
"$work/host-pc/host_tree" || fail "host_tree (pkg-config)"

rm -rf "$work"
echo "install test passed"
