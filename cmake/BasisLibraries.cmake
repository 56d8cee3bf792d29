# The two libraries a host links, built from the objects of the in-tree static
# libraries (which the daemon, the tools and the tests keep linking):
#   basis::tree     libbasis_tree.so     the pure tree: prover, verifier (needs libb2)
#   basis::runtime  libbasis_runtime.so  the embedding API (basis/runtime.h), on basis::tree
#
# Shared, with every other dependency private: a host compiles against
# include/basis alone (no CAF, RocksDB, spdlog or toml++ header is reachable
# from it), links one library, and needs none of those packages' development
# files, CMake packages or their versions to match its own. Only the symbols in
# namespace basis are exported (cmake/basis.map), so the copies of template
# code of CAF, fmt, spdlog or the standard library in the runtime never
# interpose on a host's own.

# The objects go into shared libraries.
foreach(component basis_tree basis_storage basis_config basis_engine basis_actors)
  set_target_properties(${component} PROPERTIES POSITION_INDEPENDENT_CODE ON)
endforeach()

# Pre-1.0, every minor version may change the ABI.
set(BASIS_SOVERSION "${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR}")
set(BASIS_VERSION_SCRIPT "${CMAKE_CURRENT_LIST_DIR}/basis.map")

function(basis_shared_library target output_name export_name)
  set_target_properties(${target} PROPERTIES
    OUTPUT_NAME ${output_name} EXPORT_NAME ${export_name}
    VERSION ${PROJECT_VERSION} SOVERSION ${BASIS_SOVERSION}
    LINK_DEPENDS "${BASIS_VERSION_SCRIPT}")
  target_link_options(${target} PRIVATE "LINKER:--version-script=${BASIS_VERSION_SCRIPT}")
  # Every symbol resolved at link time: a dependency left out fails here, not in
  # a host. (Not with sanitizers, whose runtime the executable may bring.)
  if(NOT BASIS_SANITIZE AND NOT BASIS_FUZZ)
    target_link_options(${target} PRIVATE "LINKER:--no-undefined")
  endif()
  target_compile_features(${target} INTERFACE cxx_std_20)
  target_include_directories(${target} INTERFACE
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include> $<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  add_library(basis::${export_name} ALIAS ${target})
endfunction()

add_library(basis_tree_shared SHARED $<TARGET_OBJECTS:basis_tree>)
basis_shared_library(basis_tree_shared basis_tree tree)
target_link_libraries(basis_tree_shared PRIVATE PkgConfig::B2)

add_library(basis_runtime SHARED $<TARGET_OBJECTS:basis_actors> $<TARGET_OBJECTS:basis_engine>
            $<TARGET_OBJECTS:basis_storage> $<TARGET_OBJECTS:basis_config>)
basis_shared_library(basis_runtime basis_runtime runtime)
target_link_libraries(basis_runtime PUBLIC basis_tree_shared
                      PRIVATE CAF::core RocksDB::rocksdb-shared spdlog::spdlog tomlplusplus::tomlplusplus
                              Threads::Threads)
