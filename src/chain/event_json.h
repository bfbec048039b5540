/* Events and payloads as JSON (jansson), as the CLI prints them and the
 * management server sends them (docs/protocol.md). */
#ifndef TH_CHAIN_EVENT_JSON_H
#define TH_CHAIN_EVENT_JSON_H

#include <jansson.h>
#include <stdint.h>

#include "theater/theater.h"

/* Bytes that parse as JSON become that JSON, other UTF-8 a string, and
 * anything else {"hex": "..."}: nothing an actor returns is dropped. */
json_t *bytes_to_json(const uint8_t *p, size_t len);
/* index, type, hash, parent, timestamp_ns, name, summary, state_hash; NULL
 * when the name is not UTF-8 (only a tampered chain has one). */
json_t *event_json(const th_event *ev);

#endif
