# Every package the build finds, in one place, each only when something that
# is built needs it (a library-only build finds none of the daemon's or the
# tools' packages). All are Debian packages (scripts/setup.sh).

find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)

# The libraries (tree/, storage/, config/, engine/, actors/).
pkg_check_modules(B2 REQUIRED IMPORTED_TARGET libb2)
find_package(RocksDB 7.8 CONFIG REQUIRED)
find_package(tomlplusplus 3.3 CONFIG REQUIRED)
find_package(spdlog 1.10 CONFIG REQUIRED)
# CAF 0.17 has no CMake package on Debian (libcaf-dev): an imported target of our own.
find_path(CAF_INCLUDE_DIR caf/all.hpp REQUIRED)
find_library(CAF_CORE_LIBRARY caf_core REQUIRED)
add_library(CAF::core SHARED IMPORTED)
set_target_properties(CAF::core PROPERTIES IMPORTED_LOCATION "${CAF_CORE_LIBRARY}"
  INTERFACE_INCLUDE_DIRECTORIES "${CAF_INCLUDE_DIR}" INTERFACE_LINK_LIBRARIES Threads::Threads)

# The admin tool, the benchmark, the daemon and the tests read and write JSON.
if(BASIS_BUILD_DAEMON OR BASIS_BUILD_TOOLS)
  find_package(nlohmann_json 3 CONFIG REQUIRED)
endif()
# Command-line parsing (tools/cli.h) for the tools, the benchmark, the examples and the harnesses.
if(BASIS_BUILD_TOOLS)
  find_package(CLI11 2 CONFIG REQUIRED)
endif()
# The daemon (and the benchmark's and the tests' HTTP clients).
if(BASIS_BUILD_DAEMON)
  pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET GLOBAL cpp-httplib)
  find_package(prometheus-cpp CONFIG REQUIRED)
  find_package(OpenSSL REQUIRED)
endif()
