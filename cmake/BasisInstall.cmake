# `cmake --install BUILD --prefix P` puts:
#   P/include/basis/...               the public headers (and the generated version.h)
#   P/LIBDIR/libbasis_{tree,runtime}.so*
#   P/LIBDIR/cmake/basis_trees/       find_package(basis_trees 0.14): basis::tree, basis::runtime
#   P/LIBDIR/pkgconfig/basis-{tree,trees}.pc
#   P/bin/basis-treed, P/bin/basis-tree           (with the daemon, the tools)
#   P/share/basis-trees/basis-treed.{toml,service} (with the daemon: examples to copy to /etc)
# Everything is relocatable: the package and the .pc files find the prefix
# from where they are, so --prefix at install time is all it takes.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/basis DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.h")
install(FILES ${PROJECT_BINARY_DIR}/include/basis/version.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/basis)

install(TARGETS basis_tree_shared basis_runtime EXPORT basis_trees_targets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

set(BASIS_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/basis_trees)
install(EXPORT basis_trees_targets NAMESPACE basis:: FILE basis_treesTargets.cmake
        DESTINATION ${BASIS_CMAKE_DIR})
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/basis_treesConfig.cmake.in
  ${PROJECT_BINARY_DIR}/basis_treesConfig.cmake INSTALL_DESTINATION ${BASIS_CMAKE_DIR})
# 0.x: a minor version may break the API, so 0.14 accepts 0.14.* only.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/basis_treesConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/basis_treesConfig.cmake ${PROJECT_BINARY_DIR}/basis_treesConfigVersion.cmake
        DESTINATION ${BASIS_CMAKE_DIR})

# pkg-config: the prefix relative to the .pc file's own directory (${pcfiledir}),
# unless a packager gave absolute directories.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(BASIS_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  set(BASIS_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
else()
  file(RELATIVE_PATH BASIS_PC_TO_PREFIX "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")  # ../..
  string(REGEX REPLACE "/$" "" BASIS_PC_TO_PREFIX "${BASIS_PC_TO_PREFIX}")
  set(BASIS_PC_PREFIX "\${pcfiledir}/${BASIS_PC_TO_PREFIX}")
  set(BASIS_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(BASIS_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(BASIS_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
foreach(pc basis-tree basis-trees)
  configure_file(${CMAKE_CURRENT_LIST_DIR}/${pc}.pc.in ${PROJECT_BINARY_DIR}/${pc}.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/${pc}.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endforeach()

if(BASIS_BUILD_DAEMON)
  install(TARGETS basis-treed RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  install(FILES ${PROJECT_SOURCE_DIR}/examples/basis-treed.toml ${PROJECT_SOURCE_DIR}/examples/basis-treed.service
          DESTINATION ${CMAKE_INSTALL_DATADIR}/basis-trees)
endif()
if(BASIS_BUILD_TOOLS)
  install(TARGETS basis-tree RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
