# cmake --install: the CLI, both libraries, headers, gpumatch.pc, a CMake
# package (find_package(gpumatch) -> gpumatch::gpumatch), man pages, completion.
include(CMakePackageConfigHelpers)
set(GM_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/gpumatch)

install(TARGETS gpumatch-cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY include/gpumatch DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${GM_GEN_INCLUDE}/gpumatch/libversion.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/gpumatch)
install(DIRECTORY schemas/ DESTINATION ${CMAKE_INSTALL_DATADIR}/gpumatch/schemas
        FILES_MATCHING PATTERN "*.schema.json")

# Two export sets so a shared-library user needs none of the -dev packages
# that the static library's link line names.
install(TARGETS gpumatch EXPORT gpumatch-static-targets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(EXPORT gpumatch-static-targets NAMESPACE gpumatch:: DESTINATION ${GM_CMAKE_DIR})
if(TARGET gpumatch_shared)
  install(TARGETS gpumatch_shared EXPORT gpumatch-shared-targets
          LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} NAMELINK_COMPONENT Development)
  install(EXPORT gpumatch-shared-targets NAMESPACE gpumatch:: DESTINATION ${GM_CMAKE_DIR})
endif()
configure_package_config_file(${CMAKE_SOURCE_DIR}/cmake/gpumatch-config.cmake.in
  ${CMAKE_BINARY_DIR}/gpumatch-config.cmake INSTALL_DESTINATION ${GM_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_BINARY_DIR}/gpumatch-config-version.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/gpumatch-config.cmake
        ${CMAKE_BINARY_DIR}/gpumatch-config-version.cmake DESTINATION ${GM_CMAKE_DIR})

# pkg-config: the static link line comes from Requires.private / Libs.private.
# prefix is found from the .pc file's own place, so `cmake --install --prefix`
# anywhere gives a working file.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(GM_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH GM_PC_UP /p/${CMAKE_INSTALL_LIBDIR}/pkgconfig /p)
  set(GM_PC_PREFIX "\${pcfiledir}/${GM_PC_UP}")
endif()
foreach(d LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${d}}")
    set(GM_PC_${d} "${CMAKE_INSTALL_${d}}")
  else()
    set(GM_PC_${d} "\${prefix}/${CMAKE_INSTALL_${d}}")
  endif()
endforeach()
set(GM_PC_LIBS_PRIVATE "-lm -pthread")
foreach(l ${CMAKE_DL_LIBS})
  string(PREPEND GM_PC_LIBS_PRIVATE "-l${l} ")
endforeach()
configure_file(${CMAKE_SOURCE_DIR}/cmake/gpumatch.pc.in ${CMAKE_BINARY_DIR}/gpumatch.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/gpumatch.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# Man pages and bash and zsh completion from the CLI's --help (cmake/gendocs.sh).
option(GPUMATCH_DOCS "Generate man pages and bash/zsh completion from --help" ON)
if(GPUMATCH_DOCS AND NOT CMAKE_CROSSCOMPILING) # runs the built gpumatch
  find_program(GM_BASH bash REQUIRED)
  set(GM_DOC_DIR ${CMAKE_BINARY_DIR}/doc)
  add_custom_command(OUTPUT ${GM_DOC_DIR}/stamp
    COMMAND ${GM_BASH} ${CMAKE_SOURCE_DIR}/cmake/gendocs.sh $<TARGET_FILE:gpumatch-cli>
            ${GM_DOC_DIR} ${PROJECT_VERSION}
    COMMAND ${CMAKE_COMMAND} -E touch ${GM_DOC_DIR}/stamp
    DEPENDS gpumatch-cli ${CMAKE_SOURCE_DIR}/cmake/gendocs.sh
    COMMENT "Generating man pages and bash/zsh completion from gpumatch --help")
  add_custom_target(gpumatch_docs ALL DEPENDS ${GM_DOC_DIR}/stamp)
  install(DIRECTORY ${GM_DOC_DIR}/man1 DESTINATION ${CMAKE_INSTALL_MANDIR})
  install(FILES ${GM_DOC_DIR}/gpumatch.bash RENAME gpumatch
          DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)
  install(FILES ${GM_DOC_DIR}/_gpumatch DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/site-functions)
endif()
