/* SHA-256 through OpenSSL's libcrypto (which uses the CPU's SHA extensions). */
#ifndef TH_CHAIN_SHA256_H
#define TH_CHAIN_SHA256_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TH_SHA256_SIZE 32

void th_sha256(const void *data, size_t len, uint8_t out[TH_SHA256_SIZE]);
/* True when the bytes hash to `hash`: what is named by hash is what it says. */
bool th_sha256_matches(const void *data, size_t len, const uint8_t hash[TH_SHA256_SIZE]);

#endif
