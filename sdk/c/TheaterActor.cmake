# theater_add_actor: builds a Theater actor written in C into a wasm32 core
# module, with clang and Debian's wasi-libc, linking in the C SDK (sdk/c).
#
#   include(sdk/c/TheaterActor.cmake)
#   theater_add_actor(counter SOURCES counter/counter.c)
#
#   theater_add_actor(NAME
#       SOURCES file.c ...          the actor's C sources (required)
#       [OUTPUT_DIR dir]            default: ${CMAKE_BINARY_DIR}/examples
#       [COMPILE_OPTIONS opt ...]   extra clang flags
#       [LINK_OPTIONS opt ...]      extra link flags, e.g. -Wl,-z,stack-size=N
#       [DEPENDS file ...])         extra files whose change rebuilds it
#
# Produces OUTPUT_DIR/NAME.wasm through the target theater_actor_NAME, part
# of ALL, and sets THEATER_ACTOR_<NAME>_WASM to its path in the caller's
# scope. The host side of the project builds with gcc; only these custom
# commands use clang, so no second CMake toolchain is involved.
#
# The module is a WASI "reactor" (no main; crt1-reactor's _initialize runs
# static constructors once, and exports are not wrapped in per-call libc
# teardown) that must not import WASI at all: the runtime grants actors only
# theater:simple interfaces. The build fails if one does (printf, for one,
# would), with a message saying so.

include_guard(GLOBAL)

set(THEATER_SDK_DIR "${CMAKE_CURRENT_LIST_DIR}")

# ---- The wasm toolchain, checked once at configure time --------------------

find_program(THEATER_WASM_CLANG NAMES clang clang-14
             DOC "clang used to compile actors for wasm32")
if(NOT THEATER_WASM_CLANG OR NOT EXISTS "${THEATER_WASM_CLANG}")
  message(FATAL_ERROR
    "theater_add_actor: clang (${THEATER_WASM_CLANG}) was not found, so the example actors cannot be built.\n"
    "Install it (Debian: apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32) "
    "or pass -DTHEATER_WASM_CLANG=/path/to/clang.")
endif()

set(THEATER_WASM_CFLAGS
  --target=wasm32-wasi -mexec-model=reactor -std=gnu17 -O2 -g0
  -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
  -I${THEATER_SDK_DIR}/include)
if(THEATER_WERROR)
  list(APPEND THEATER_WASM_CFLAGS -Werror)
endif()
# --stack-first puts the shadow stack below the data, so overflowing it traps
# (out of bounds) instead of silently overwriting the actor's globals.
set(THEATER_WASM_LDFLAGS -Wl,--stack-first -Wl,--strip-debug)

# Builds a module that needs malloc and memcpy from wasi-libc: it fails when
# the wasm32 target, lld or the sysroot is missing.
function(theater_check_wasm_toolchain)
  if(THEATER_WASM_TOOLCHAIN_OK STREQUAL THEATER_WASM_CLANG)
    return()
  endif()
  set(dir "${CMAKE_BINARY_DIR}/CMakeFiles/theater-wasm-check")
  file(MAKE_DIRECTORY "${dir}")
  file(WRITE "${dir}/probe.c"
    "#include <stdlib.h>\n#include <string.h>\n"
    "__attribute__((export_name(\"probe\"))) int probe(int n);\n"
    "int probe(int n) { char *p = malloc((size_t)n + 1); if (!p) return -1;\n"
    "  memset(p, 1, (size_t)n + 1); int r = p[n]; free(p); return r; }\n")
  execute_process(
    COMMAND "${THEATER_WASM_CLANG}" ${THEATER_WASM_CFLAGS} "${dir}/probe.c"
            ${THEATER_WASM_LDFLAGS} -o "${dir}/probe.wasm"
    RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR
      "theater_add_actor: ${THEATER_WASM_CLANG} cannot build wasm32-wasi modules "
      "(the wasm32 target, wasm-ld or the wasi-libc sysroot is missing).\n"
      "Debian: apt-get install clang lld wasi-libc libclang-rt-14-dev-wasm32\n"
      "clang said:\n${out}")
  endif()
  set(THEATER_WASM_TOOLCHAIN_OK "${THEATER_WASM_CLANG}" CACHE INTERNAL
      "the clang whose wasm32 toolchain was checked")
endfunction()

theater_check_wasm_toolchain()

# ---- theater_add_actor -----------------------------------------------------

function(theater_add_actor name)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "" "OUTPUT_DIR"
                        "SOURCES;COMPILE_OPTIONS;LINK_OPTIONS;DEPENDS")
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "theater_add_actor(${name}): unknown arguments: ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "theater_add_actor(${name}): SOURCES is required")
  endif()
  if(NOT ARG_OUTPUT_DIR)
    set(ARG_OUTPUT_DIR "${CMAKE_BINARY_DIR}/examples")
  endif()

  set(sources "")
  foreach(src IN LISTS ARG_SOURCES)
    get_filename_component(src "${src}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    list(APPEND sources "${src}")
  endforeach()
  file(GLOB sdk_sources CONFIGURE_DEPENDS "${THEATER_SDK_DIR}/src/*.c")
  file(GLOB sdk_headers CONFIGURE_DEPENDS "${THEATER_SDK_DIR}/include/theater/*.h")

  set(output "${ARG_OUTPUT_DIR}/${name}.wasm")
  add_custom_command(
    OUTPUT "${output}"
    COMMAND "${CMAKE_COMMAND}" -E make_directory "${ARG_OUTPUT_DIR}"
    COMMAND "${THEATER_WASM_CLANG}" ${THEATER_WASM_CFLAGS} ${ARG_COMPILE_OPTIONS}
            ${sources} ${sdk_sources} ${THEATER_WASM_LDFLAGS} ${ARG_LINK_OPTIONS}
            -o "${output}"
    COMMAND "${CMAKE_COMMAND}" -DWASM=${output} -P "${THEATER_SDK_DIR}/check-imports.cmake"
    DEPENDS ${sources} ${sdk_sources} ${sdk_headers} ${ARG_DEPENDS}
            "${THEATER_SDK_DIR}/check-imports.cmake"
    COMMENT "Building wasm actor ${name}.wasm"
    VERBATIM)
  add_custom_target(theater_actor_${name} ALL DEPENDS "${output}")
  set(THEATER_ACTOR_${name}_WASM "${output}" PARENT_SCOPE)
endfunction()
