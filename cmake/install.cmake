# What `cmake --install` puts where, and the .deb CPack builds from it (`cpack -G DEB` in the
# build tree). The systemd units in deploy/ name /usr/local paths (the default prefix); they are
# installed with the configured prefix in their place, so a package built with
# -DCMAKE_INSTALL_PREFIX=/usr runs /usr/bin/flatsign-slave.
set(FLATSIGN_DOC_DIR share/doc/flatsign)

install(TARGETS flatsign-master flatsign-slave RUNTIME DESTINATION bin)
install(PROGRAMS ${PROJECT_SOURCE_DIR}/deploy/hooks/notify-email DESTINATION lib/flatsign)
install(PROGRAMS ${PROJECT_SOURCE_DIR}/deploy/tsig-keygen DESTINATION bin
        RENAME flatsign-tsig-keygen)
# The units and example configs name the default prefix's paths; installed with this prefix's.
function(flatsign_install_with_prefix source destination)
  get_filename_component(name ${source} NAME)
  file(READ ${source} text)
  string(REPLACE "/usr/local/" "${CMAKE_INSTALL_PREFIX}/" text "${text}")
  file(GENERATE OUTPUT ${CMAKE_BINARY_DIR}/installed/${destination}/${name} CONTENT "${text}")
  install(FILES ${CMAKE_BINARY_DIR}/installed/${destination}/${name} DESTINATION ${destination})
  set_property(DIRECTORY ${PROJECT_SOURCE_DIR} APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${source})
endfunction()
file(GLOB FLATSIGN_UNITS CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/deploy/systemd/*.service)
file(GLOB FLATSIGN_EXAMPLES CONFIGURE_DEPENDS
     ${PROJECT_SOURCE_DIR}/deploy/config/* ${PROJECT_SOURCE_DIR}/deploy/examples/*)
foreach(f ${FLATSIGN_UNITS})
  flatsign_install_with_prefix(${f} lib/systemd/system)
endforeach()
foreach(f ${FLATSIGN_EXAMPLES})
  flatsign_install_with_prefix(${f} ${FLATSIGN_DOC_DIR}/examples)
endforeach()
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${FLATSIGN_DOC_DIR})

# Man pages from each daemon's --help and --version (Debian help2man), when it is installed.
find_program(HELP2MAN help2man)
if(HELP2MAN)
  set(pages)
  foreach(daemon flatsign-master flatsign-slave)
    set(page ${CMAKE_BINARY_DIR}/man/${daemon}.8)
    if(daemon STREQUAL "flatsign-master")
      set(what "hidden primary that flattens ALIAS records and serves AXFR")
    else()
      set(what "signing public authoritative for many zones")
    endif()
    add_custom_command(OUTPUT ${page}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/man
      COMMAND ${HELP2MAN} --no-info --section=8 --name=${what} --output=${page}
              $<TARGET_FILE:${daemon}>
      DEPENDS ${daemon}
      COMMENT "man page of ${daemon}")
    list(APPEND pages ${page})
  endforeach()
  add_custom_target(man_pages ALL DEPENDS ${pages})
  install(FILES ${pages} DESTINATION share/man/man8)
else()
  message(STATUS "help2man not found: no man pages (apt install help2man)")
endif()

set(CPACK_PACKAGE_NAME flatsign)
set(CPACK_PACKAGE_VENDOR "flatsign")
set(CPACK_PACKAGE_CONTACT "flatsign developers <root@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "ALIAS flattening hidden primary and DNSSEC-signing authoritative DNS servers")
set(CPACK_PACKAGE_DESCRIPTION
    "flatsign-master flattens ALIAS records through a resolver and serves the zone by AXFR;\n"
    "flatsign-slave transfers, signs (DNSSEC) and serves many zones, with catalog zones,\n"
    "rate limiting, cookies and change hooks.")
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
# Shared libraries found by dpkg-shlibdeps (dpkg-dev); the hook needs Python.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "python3")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "msmtp")
set(CPACK_STRIP_FILES ON)
include(CPack)
