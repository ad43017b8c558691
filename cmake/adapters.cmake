# Build options for the optional adapters (see src/util/adapter.h).
#
# The core needs libmicrohttpd, jansson, SQLite, libcurl and OpenSSL. Each
# adapter that needs another library has an option SREBOT_WITH_<NAME>, ON by
# default for what `make run` and `make test` use. When ON, its library is
# required and linked, and SREBOT_WITH_<NAME> is defined for the code (its
# registry lists it); when OFF, its files leave the build and its registry
# names it as left out, with the option, when it is configured.
#
#   srebot_optional_adapter(<NAME> PKG <pkg-config module> [FILES <src-relative paths>]
#                           [TESTS <test names>])
# sets SREBOT_OPTIONAL_LIBS (targets to link), SREBOT_OPTIONAL_DEFS (definitions),
# SREBOT_EXCLUDED_SOURCES and SREBOT_EXCLUDED_TESTS (for tests/ and fuzz/).

option(SREBOT_WITH_VECTORSCAN
  "log detector (logfile source, srebot scan, detector rule patterns): vectorscan (libhs)" ON)
option(SREBOT_WITH_YAML "YAML (kubeconfig, Helm values): libyaml" ON)
# To come, each with its adapter: SREBOT_WITH_POSTGRES (libpq), SREBOT_WITH_NATS (libnats).

set(SREBOT_OPTIONAL_LIBS "")
set(SREBOT_OPTIONAL_DEFS "")
set(SREBOT_EXCLUDED_SOURCES "")
set(SREBOT_EXCLUDED_TESTS "")

function(srebot_optional_adapter name)
  cmake_parse_arguments(A "" "PKG" "FILES;TESTS" ${ARGN})
  if(SREBOT_WITH_${name})
    pkg_check_modules(${name} REQUIRED IMPORTED_TARGET ${A_PKG})
    set(SREBOT_OPTIONAL_LIBS ${SREBOT_OPTIONAL_LIBS} PkgConfig::${name} PARENT_SCOPE)
    set(SREBOT_OPTIONAL_DEFS ${SREBOT_OPTIONAL_DEFS} SREBOT_WITH_${name}=1 PARENT_SCOPE)
    message(STATUS "adapter ${name}: ON (${A_PKG})")
  else()
    set(excluded ${SREBOT_EXCLUDED_SOURCES})
    foreach(f ${A_FILES})
      list(APPEND excluded ${CMAKE_SOURCE_DIR}/src/${f})
    endforeach()
    set(SREBOT_EXCLUDED_SOURCES ${excluded} PARENT_SCOPE)
    set(SREBOT_EXCLUDED_TESTS ${SREBOT_EXCLUDED_TESTS} ${A_TESTS} PARENT_SCOPE)
    message(STATUS "adapter ${name}: OFF (SREBOT_WITH_${name})")
  endif()
endfunction()

srebot_optional_adapter(VECTORSCAN PKG libhs
  FILES core/logsig.c core/logsig_scan.c core/logwin.c sources/logfile.c sources/logrules.c
        sources/logdetect.c sources/journal.c cli/cmd_scan.c
  TESTS test_logsig test_logsig_cache test_logwin test_logfile test_cmd_scan test_logdetector fuzz_logline
        fuzz_logrules test_journal)

# YAML: the kubeconfig reader (util/yaml_json.c) uses libyaml. Without it that
# file still builds and every call says how to get it (a kubeconfig is then
# refused; the in-cluster service account still works).
if(SREBOT_WITH_YAML)
  pkg_check_modules(YAML REQUIRED IMPORTED_TARGET yaml-0.1)
  set(SREBOT_OPTIONAL_LIBS ${SREBOT_OPTIONAL_LIBS} PkgConfig::YAML)
  set(SREBOT_OPTIONAL_DEFS ${SREBOT_OPTIONAL_DEFS} SREBOT_WITH_YAML=1)
  message(STATUS "adapter YAML: ON (yaml-0.1)")
else()
  set(SREBOT_EXCLUDED_TESTS ${SREBOT_EXCLUDED_TESTS} test_kubeconfig fuzz_kubeconfig)
  message(STATUS "adapter YAML: OFF (SREBOT_WITH_YAML)")
endif()
