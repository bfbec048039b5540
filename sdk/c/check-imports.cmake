# cmake -DWASM=actor.wasm -P check-imports.cmake
#
# Fails, and removes the module, when an actor imports WASI: the runtime
# grants actors only theater:simple interfaces, so such a module could never
# start. The usual cause is stdio (printf) or abort()/assert() pulling in
# wasi-libc code that writes to a file descriptor. Removing the output makes
# the next build try again instead of keeping the bad module.
if(NOT WASM)
  message(FATAL_ERROR "check-imports.cmake: pass -DWASM=path/to/actor.wasm")
endif()
file(STRINGS "${WASM}" wasi REGEX "wasi_snapshot_preview1|wasi_unstable")
if(wasi)
  file(REMOVE "${WASM}")
  message(FATAL_ERROR
    "${WASM} imports WASI (wasi_snapshot_preview1), which actors are not granted. "
    "Avoid stdio, assert() and abort(): log with theater_log() and stop with "
    "__builtin_trap().")
endif()
