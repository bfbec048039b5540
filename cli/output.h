/* Output shared by the verbs: payloads, events and chains as text or JSON. */
#ifndef TH_CLI_OUTPUT_H
#define TH_CLI_OUTPUT_H

#include <jansson.h>
#include <stdint.h>

#include "common/buf.h"
#include "theater/theater.h"

/* Bytes that parse as JSON become that JSON, other UTF-8 a string, and
 * anything else {"hex": "..."}: nothing an actor returns is dropped. */
json_t *bytes_to_json(const uint8_t *p, size_t len);
/* One line per event: index, type, short hash, name, input -> output. */
void print_chain_text(const th_chain *chain);
json_t *event_json(const th_event *ev);
json_t *chain_json(const th_chain *chain);

#endif
