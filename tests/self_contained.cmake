# No test reads outside the repository: a clone of the project alone (no ../shared
# beside it) builds and passes every test. Run by ctest as `repo.self_contained`:
#
#   cmake -DSOURCE_DIR=<source dir> -DBINARY_DIR=<build dir> -P tests/self_contained.cmake
#
# 1. Every test ctest knows (`ctest --show-only=json-v1` in the build dir): each path in
#    its command line, working directory and environment (ENVIRONMENT,
#    ENVIRONMENT_MODIFICATION, REQUIRED_FILES) must lie under the source dir, the
#    build dir or a temporary directory (/tmp, /var/tmp, $TMPDIR, but never beside the
#    checkout: a sibling of the source dir is exactly what a lone clone lacks). A path
#    is a token that starts with `/` or `~`, or a relative one with a `..` component
#    (resolved against the test's working directory). Besides those, the program a
#    test runs (its first word) may be a system one (/usr/bin, /bin, /usr/local/bin,
#    or where this cmake is), and a Catch test's filter (an argument equal to the
#    test's own name) is no path.
#
#    The allowlist, the one exception: the oracle-based differential tests below may
#    name the reference oracle, ${BASIS_SHARED_DIR}/oracle (BASIS_SHARED_DIR read from
#    the build's cache), and nothing else outside. No other test may name anything
#    under BASIS_SHARED_DIR, and every test of the allowlist must exist (a stale
#    allowlist fails too).
#
# 2. The sources (tests/, tools/, scripts/, bench/, examples/, tree/, storage/,
#    actors/, config/, cmake/, include/, .ci/ and the top CMakeLists.txt): outside
#    comments (// in C++, # elsewhere; JSON has none), no line may name
#    `../shared`, `shared/` or BASIS_SHARED_DIR, except the allowed uses listed in
#    kAllowedFiles and kAllowedTexts below (the oracle's default location for the differential
#    driver and scripts, the tests' oracle path, the cache variable's definition, and
#    the provenance string the oracle's vector files carry).
#
# With -DSELF_TEST=ON it checks itself instead (`repo.self_contained.catches`): each
# kind of outside read, added to the real test list or to a scratch source tree, must
# be reported, and the real inputs must pass.

cmake_minimum_required(VERSION 3.25)

# The tests that may use the reference oracle (and must exist).
set(kOracleTests differential.short differential.lying_oracle)
list(JOIN kOracleTests " and " kOracleTestsText)

# Allowed uses in the sources: a file regex (kAllowedFiles) and the regex of the text
# allowed in it (kAllowedTexts, the same position). The allowed text is removed from a
# line before the line is checked, so a line that also names something else is still
# reported.
set(kAllowedFiles
    # The differential driver's and the scripts' default oracle location.
    "^(tools|scripts)/[^/]+$"
    # The oracle path of the differential tests (which tests: see part 1).
    "^tests/CMakeLists\\.txt$"
    # The cache variable's definition.
    "^CMakeLists\\.txt$"
    # Provenance of the project's vector files: the oracle that wrote them.
    "^tests/vectors/project/[^/]+\\.json$")
set(kAllowedTexts
    "\\.\\./shared/oracle"
    "\\$\\{BASIS_SHARED_DIR\\}/oracle"
    "set\\(BASIS_SHARED_DIR \"\\$\\{CMAKE_SOURCE_DIR\\}/\\.\\./shared\""
    "\"oracle\": \"\\.\\./shared/oracle replay\\.js")
set(kSourceDirs tests tools scripts bench examples tree storage actors config cmake include .ci)
set(kSourcePatterns "\\.\\./shared" "(^|[^A-Za-z0-9_.-])shared/" "BASIS_SHARED_DIR")

set(findings "")

function(is_under path root out)
  cmake_path(IS_PREFIX root "${path}" NORMALIZE r)
  set(${out} ${r} PARENT_SCOPE)
endfunction()

# Sets `verdict` for one path of test `name`: "" when allowed, else why not.
function(judge_path path name where is_program verdict)
  set(v "")
  cmake_path(NORMAL_PATH path)
  set(oracle_test FALSE)
  if(name IN_LIST kOracleTests)
    set(oracle_test TRUE)
  endif()
  is_under("${path}" "${SHARED_DIR}" in_shared)
  is_under("${path}" "${SHARED_DIR}/oracle" in_oracle)
  is_under("${path}" "${SOURCE_DIR}" in_source)
  is_under("${path}" "${BINARY_DIR}" in_build)
  cmake_path(GET SOURCE_DIR PARENT_PATH checkout_parent)
  is_under("${path}" "${checkout_parent}" beside_checkout)
  set(in_temp FALSE)
  foreach(t ${TEMP_ROOTS})
    is_under("${path}" "${t}" u)
    if(u AND NOT beside_checkout)
      set(in_temp TRUE)
    endif()
  endforeach()
  set(system_program FALSE)
  if(is_program)
    foreach(t ${PROGRAM_ROOTS})
      is_under("${path}" "${t}" u)
      if(u)
        set(system_program TRUE)
      endif()
    endforeach()
  endif()
  if(in_oracle AND oracle_test)
    # the allowlist
  elseif(in_shared)
    if(oracle_test)
      set(v "names ${path} in its ${where}: the oracle tests may use ${SHARED_DIR}/oracle only")
    else()
      set(v "names ${path} in its ${where}: only ${kOracleTestsText} may use BASIS_SHARED_DIR (${SHARED_DIR})")
    endif()
  elseif(in_source OR in_build OR in_temp OR system_program OR path STREQUAL "/dev/null")
    # inside the repository, the build or a temporary directory
  else()
    set(v "reads outside the repository: ${path} in its ${where}")
  endif()
  set(${verdict} "${v}" PARENT_SCOPE)
endfunction()

# Checks every path-like token of `text`; appends to `findings` in the caller.
function(check_text text name where workdir is_program)
  # No `;`, `[` or `]` may reach a list: CMake groups list elements between brackets.
  string(REPLACE ";" " " text "${text}")
  string(REPLACE "[" " " text "${text}")
  string(REPLACE "]" " " text "${text}")
  string(REGEX MATCHALL "[^ \t\r\n=:,'\"()<>|&]+" tokens "${text}")
  set(out "")
  set(first TRUE)
  string(REGEX REPLACE "[][;]" "_" name_shown "${name}")
  foreach(tok IN LISTS tokens)
    set(path "")
    if(tok MATCHES "^/")
      set(path "${tok}")
    elseif(tok MATCHES "^~")
      list(APPEND out "test '${name_shown}' reads outside the repository: ${tok} (a home directory) in its ${where}")
    elseif(tok MATCHES "(^|/)\\.\\.(/|$)")
      cmake_path(ABSOLUTE_PATH tok BASE_DIRECTORY "${workdir}" NORMALIZE OUTPUT_VARIABLE path)
    endif()
    if(NOT path STREQUAL "")
      set(p FALSE)
      if(is_program AND first)
        set(p TRUE)
      endif()
      judge_path("${path}" "${name}" "${where}" ${p} v)
      if(NOT v STREQUAL "")
        list(APPEND out "test '${name_shown}' ${v}")
      endif()
    endif()
    set(first FALSE)
  endforeach()
  set(findings ${findings} ${out} PARENT_SCOPE)
endfunction()

# Part 1 on the tests test_0 .. test_<count-1> (JSON objects of ctest's json-v1).
function(check_tests count)
  set(seen "")
  math(EXPR last "${count} - 1")
  foreach(i RANGE ${last})
    set(t "${test_${i}}")
    string(JSON name GET "${t}" name)
    list(APPEND seen "${name}")
    string(JSON nprops ERROR_VARIABLE err LENGTH "${t}" properties)
    if(err)
      set(nprops 0)
    endif()
    # The working directory first: relative paths resolve against it.
    set(workdir "${BINARY_DIR}")
    set(props "")
    if(nprops GREATER 0)
      math(EXPR plast "${nprops} - 1")
      foreach(j RANGE ${plast})
        string(JSON pname GET "${t}" properties ${j} name)
        string(JSON pvalue GET "${t}" properties ${j} value)
        if(pname STREQUAL "WORKING_DIRECTORY")
          set(workdir "${pvalue}")
          check_text("${pvalue}" "${name}" "working directory" "${BINARY_DIR}" FALSE)
        elseif(pname MATCHES "^(ENVIRONMENT|ENVIRONMENT_MODIFICATION|REQUIRED_FILES)$")
          list(APPEND props ${j})
        endif()
      endforeach()
    endif()
    foreach(j IN LISTS props)
      string(JSON pname GET "${t}" properties ${j} name)
      string(JSON pvalue GET "${t}" properties ${j} value)
      check_text("${pvalue}" "${name}" "${pname}" "${workdir}" FALSE)
    endforeach()
    string(JSON nargs LENGTH "${t}" command)
    math(EXPR alast "${nargs} - 1")
    foreach(j RANGE ${alast})
      string(JSON arg GET "${t}" command ${j})
      string(REPLACE "\\" "" unescaped "${arg}")
      if(j GREATER 0 AND unescaped STREQUAL name)
        continue()  # a Catch test's filter: its own name (Catch escapes commas)
      endif()
      set(program FALSE)
      if(j EQUAL 0)
        set(program TRUE)
      endif()
      check_text("${arg}" "${name}" "command line" "${workdir}" ${program})
    endforeach()
  endforeach()
  foreach(o IN LISTS kOracleTests)
    if(NOT o IN_LIST seen)
      list(APPEND findings "the allowlist names the oracle test '${o}', which does not exist: update tests/self_contained.cmake")
    endif()
  endforeach()
  set(findings ${findings} PARENT_SCOPE)
endfunction()

# Loads the test list of ctest's json-v1 text (in the variable named `var`) into
# test_0.. and test_count. A function, not a macro: a macro would evaluate the
# backslashes of the JSON text again.
function(load_tests var)
  string(JSON count LENGTH "${${var}}" tests)
  math(EXPR last "${count} - 1")
  foreach(i RANGE ${last})
    string(JSON t GET "${${var}}" tests ${i})
    set(test_${i} "${t}" PARENT_SCOPE)
  endforeach()
  set(test_count ${count} PARENT_SCOPE)
endfunction()

# Part 2 on the source tree at `root`.
function(check_sources root)
  set(files "")
  foreach(d ${kSourceDirs})
    file(GLOB_RECURSE f LIST_DIRECTORIES false RELATIVE "${root}" "${root}/${d}/*")
    list(APPEND files ${f})
  endforeach()
  if(EXISTS "${root}/CMakeLists.txt")
    list(APPEND files CMakeLists.txt)
  endif()
  list(REMOVE_DUPLICATES files)
  set(out "")
  foreach(rel IN LISTS files)
    if(rel MATCHES "^(build|\\.git)" OR rel MATCHES "/build[^/]*/" OR rel STREQUAL "tests/self_contained.cmake")
      continue()
    endif()
    file(STRINGS "${root}/${rel}" lines REGEX "[Ss][Hh][Aa][Rr][Ee][Dd]")
    foreach(line IN LISTS lines)
      set(code "${line}")
      if(rel MATCHES "\\.(cc|h|cpp|hpp)$")
        string(REGEX REPLACE "//.*$" "" code "${code}")
        string(REGEX REPLACE "^[ \t]*\\*.*$" "" code "${code}")
      elseif(NOT rel MATCHES "\\.json$")
        string(REGEX REPLACE "(^|[ \t])#.*$" "" code "${code}")
      endif()
      list(LENGTH kAllowedFiles nrules)
      math(EXPR rlast "${nrules} - 1")
      foreach(r RANGE ${rlast})
        list(GET kAllowedFiles ${r} file_re)
        list(GET kAllowedTexts ${r} text_re)
        if(rel MATCHES "${file_re}")
          string(REGEX REPLACE "${text_re}" "" code "${code}")
        endif()
      endforeach()
      foreach(pat IN LISTS kSourcePatterns)
        if(code MATCHES "${pat}")
          string(STRIP "${line}" shown)
          list(APPEND out "${rel} names the shared folder outside the allowlist: ${shown}")
          break()
        endif()
      endforeach()
    endforeach()
  endforeach()
  set(findings ${findings} ${out} PARENT_SCOPE)
endfunction()

# --- setup ---------------------------------------------------------------------------
foreach(v SOURCE_DIR BINARY_DIR)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "self_contained.cmake: give -D${v}=...")
  endif()
  cmake_path(NORMAL_PATH ${v})
  string(REGEX REPLACE "/$" "" ${v} "${${v}}")
endforeach()
load_cache("${BINARY_DIR}" READ_WITH_PREFIX CACHED_ BASIS_SHARED_DIR)
set(SHARED_DIR "${CACHED_BASIS_SHARED_DIR}")
if(SHARED_DIR STREQUAL "")
  set(SHARED_DIR "${SOURCE_DIR}/../shared")
endif()
cmake_path(NORMAL_PATH SHARED_DIR)
string(REGEX REPLACE "/$" "" SHARED_DIR "${SHARED_DIR}")
set(TEMP_ROOTS /tmp /var/tmp)
if(DEFINED ENV{TMPDIR} AND NOT "$ENV{TMPDIR}" STREQUAL "")
  list(APPEND TEMP_ROOTS "$ENV{TMPDIR}")
endif()
get_filename_component(cmake_bin "${CMAKE_COMMAND}" DIRECTORY)
set(PROGRAM_ROOTS /usr/bin /bin /usr/local/bin "${cmake_bin}")

# ctest writes Testing/Temporary/LastTest.log where it runs, even to only list the
# tests: run it in a directory of its own that includes the build's tests, so that the
# log of the ctest running this check is left alone.
if(SELF_TEST)
  set(lister "${BINARY_DIR}/self_contained_lister_selftest")
else()
  set(lister "${BINARY_DIR}/self_contained_lister")
endif()
file(REMOVE_RECURSE "${lister}")
file(WRITE "${lister}/CTestTestfile.cmake" "subdirs(\"${BINARY_DIR}\")\n")
execute_process(COMMAND "${CMAKE_CTEST_COMMAND}" --show-only=json-v1 --test-dir "${lister}"
                WORKING_DIRECTORY "${lister}" OUTPUT_VARIABLE ctest_json RESULT_VARIABLE rc
                ERROR_VARIABLE ctest_err)
file(REMOVE_RECURSE "${lister}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "ctest --show-only=json-v1 in ${BINARY_DIR} failed (${rc}): ${ctest_err}")
endif()
load_tests(ctest_json)

if(NOT SELF_TEST)
  check_tests(${test_count})
  check_sources("${SOURCE_DIR}")
  list(LENGTH findings n)
  if(n GREATER 0)
    list(JOIN findings "\n  " text)
    message(FATAL_ERROR "${n} outside reads (see tests/self_contained.cmake for the rules and the "
                        "allowlist):\n  ${text}")
  endif()
  message(STATUS "self-contained: ${test_count} tests and the sources read nothing outside the "
                 "repository; only ${kOracleTestsText} use the optional oracle at ${SHARED_DIR}/oracle")
  return()
endif()

# --- the self-test -------------------------------------------------------------------
set(failures "")
# The real inputs pass.
set(findings "")
check_tests(${test_count})
if(findings)
  list(APPEND failures "the real test list has findings: ${findings}")
endif()

# Each case: one test added to the real list (or an oracle test changed), and the text
# its finding must contain.
set(base "${BINARY_DIR}/bin/basis-tree")
set(cases
    "fake.shared_vectors|{\"name\":\"fake.shared_vectors\",\"command\":[\"${base}\",\"conformance\",\"${SOURCE_DIR}/../shared/vectors/basic_var.json\"],\"properties\":[{\"name\":\"WORKING_DIRECTORY\",\"value\":\"${BINARY_DIR}/tests\"}]}|only differential"
    "fake.relative|{\"name\":\"fake.relative\",\"command\":[\"${base}\",\"conformance\",\"../../../elsewhere/x.json\"],\"properties\":[{\"name\":\"WORKING_DIRECTORY\",\"value\":\"${BINARY_DIR}/tests\"}]}|reads outside the repository"
    "fake.env|{\"name\":\"fake.env\",\"command\":[\"${base}\"],\"properties\":[{\"name\":\"ENVIRONMENT\",\"value\":[\"UBSAN_OPTIONS=suppressions=${SHARED_DIR}/ubsan/caf.supp\"]}]}|ENVIRONMENT"
    "fake.workdir|{\"name\":\"fake.workdir\",\"command\":[\"${base}\"],\"properties\":[{\"name\":\"WORKING_DIRECTORY\",\"value\":\"${SOURCE_DIR}/..\"}]}|working directory"
    "fake.sibling_in_shell|{\"name\":\"fake.sibling_in_shell\",\"command\":[\"/usr/bin/sh\",\"-c\",\"cat /etc/hostname && ${base} conformance x.json\"]}|/etc/hostname"
    "fake.home|{\"name\":\"fake.home\",\"command\":[\"${base}\",\"~/vectors\"]}|home directory"
    "fake.oracle_not_allowlisted|{\"name\":\"fake.oracle_not_allowlisted\",\"command\":[\"${base}\",\"differential\",\"--oracle\",\"${SHARED_DIR}/oracle\"]}|only differential"
    "differential.short|{\"name\":\"differential.short\",\"command\":[\"${base}\",\"conformance\",\"${SHARED_DIR}/vectors/basic_var.json\"]}|oracle tests may use")
foreach(c IN LISTS cases)
  string(REPLACE "|" ";" parts "${c}")
  list(GET parts 0 cname)
  list(GET parts 1 cjson)
  list(GET parts 2 expect)
  set(findings "")
  set(saved_count ${test_count})
  if(cname STREQUAL "differential.short")
    # Replace the real one.
    math(EXPR _last "${test_count} - 1")
    foreach(_i RANGE ${_last})
      string(JSON _n GET "${test_${_i}}" name)
      if(_n STREQUAL cname)
        set(saved "${test_${_i}}")
        set(saved_index ${_i})
        set(test_${_i} "${cjson}")
      endif()
    endforeach()
  else()
    set(test_${test_count} "${cjson}")
    math(EXPR test_count "${test_count} + 1")
  endif()
  check_tests(${test_count})
  string(FIND "${findings}" "'${cname}'" at_name)
  string(FIND "${findings}" "${expect}" at_expect)
  list(LENGTH findings nf)
  if(at_name LESS 0 OR at_expect LESS 0 OR NOT nf EQUAL 1)
    list(APPEND failures "case ${cname}: expected exactly one finding naming it with '${expect}', got ${nf}: ${findings}")
  endif()
  if(cname STREQUAL "differential.short")
    set(test_${saved_index} "${saved}")
  endif()
  set(test_count ${saved_count})
endforeach()

# A stale allowlist: an oracle test that is gone.
set(findings "")
math(EXPR _last "${test_count} - 1")
set(kept_count 0)
foreach(_i RANGE ${_last})
  string(JSON _n GET "${test_${_i}}" name)
  if(NOT _n STREQUAL "differential.lying_oracle")
    set(kept_${kept_count} "${test_${_i}}")
    math(EXPR kept_count "${kept_count} + 1")
  endif()
endforeach()
math(EXPR _last "${kept_count} - 1")
foreach(_i RANGE ${_last})
  set(test_${_i} "${kept_${_i}}")
endforeach()
check_tests(${kept_count})
if(NOT findings MATCHES "differential.lying_oracle', which does not exist")
  list(APPEND failures "a missing oracle test was not reported: ${findings}")
endif()

# The sources: the real tree passes; a scratch tree with one use of each kind
# reports exactly the forbidden ones.
set(findings "")
check_sources("${SOURCE_DIR}")
if(findings)
  list(APPEND failures "the real sources have findings: ${findings}")
endif()
set(scratch "${BINARY_DIR}/self_contained_scratch")
file(REMOVE_RECURSE "${scratch}")
file(WRITE "${scratch}/tests/reads_test.cc"
     "// a comment may mention ../shared/vectors\nconst char* kDir = \"../shared/vectors\";\n")
file(WRITE "${scratch}/tests/CMakeLists.txt"
     "# ../shared in a comment\nadd_test(NAME a COMMAND x --oracle \${BASIS_SHARED_DIR}/oracle)\n"
     "target_compile_definitions(t PRIVATE BASIS_SHARED_DIR=\"\${BASIS_SHARED_DIR}\")\n")
file(WRITE "${scratch}/tools/oracle.cc" "return \"../shared/oracle\";\nconst char* v = \"/work/shared/vectors\";\n")
file(WRITE "${scratch}/scripts/s.sh" "oracle=\"\${BASIS_ORACLE_DIR:-../shared/oracle}\"\nsupp=../shared/ubsan/caf.supp\n")
file(WRITE "${scratch}/tests/vectors/project/v.json" "{\"oracle\": \"../shared/oracle replay.js (x)\",\n\"vectors\": \"../shared/vectors\"}\n")
check_sources("${scratch}")
file(REMOVE_RECURSE "${scratch}")
set(expected_sources
    "tests/reads_test.cc names the shared folder outside the allowlist: const char* kDir"
    "tests/CMakeLists.txt names the shared folder outside the allowlist: target_compile_definitions"
    "tools/oracle.cc names the shared folder outside the allowlist: const char* v"
    "scripts/s.sh names the shared folder outside the allowlist: supp="
    "tests/vectors/project/v.json names the shared folder outside the allowlist: \"vectors\"")
list(LENGTH findings nf)
list(LENGTH expected_sources ne)
if(NOT nf EQUAL ne)
  list(APPEND failures "scratch sources: expected ${ne} findings, got ${nf}: ${findings}")
endif()
foreach(e IN LISTS expected_sources)
  string(FIND "${findings}" "${e}" at)
  if(at LESS 0)
    list(APPEND failures "scratch sources: no finding '${e}' in: ${findings}")
  endif()
endforeach()

list(LENGTH failures n)
if(n GREATER 0)
  list(JOIN failures "\n  " text)
  message(FATAL_ERROR "the self-contained check misses what it must catch:\n  ${text}")
endif()
list(LENGTH cases nc)
message(STATUS "self-contained check catches all ${nc} kinds of outside reads in tests, a stale "
               "allowlist, and every forbidden source use")
