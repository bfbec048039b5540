/* SHA-256 through OpenSSL's libcrypto (which uses the CPU's SHA extensions). */
#ifndef TH_CHAIN_SHA256_H
#define TH_CHAIN_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define TH_SHA256_SIZE 32

void th_sha256(const void *data, size_t len, uint8_t out[TH_SHA256_SIZE]);

#endif
