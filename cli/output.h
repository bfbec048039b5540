/* Output shared by the verbs: payloads, events and chains as text or JSON. */
#ifndef TH_CLI_OUTPUT_H
#define TH_CLI_OUTPUT_H

#include <jansson.h>
#include <stdint.h>

#include "chain/event_json.h"
#include "common/buf.h"
#include "theater/theater.h"

/* One line per event: index, type, short hash, name, input -> output. */
void print_chain_text(const th_chain *chain);
json_t *chain_json(const th_chain *chain);

#endif
