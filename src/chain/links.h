/* Cross-actor verification: every causal link between stored chains must
 * hold (docs/chain.md, "Cross-actor verification").
 *
 * A message from one actor to another leaves an event in each chain: the
 * sender's host event of theater:simple/message-server-host (#send,
 * #request, #open-channel, #send-on-channel, #close-channel) and the
 * receiver's `call` event of the export that handled it, whose output is
 * the link (sender id, sender head at send time). The sender's event is
 * the one whose parent hash is that head. Checked both ways: each link
 * names an existing sender event that carried the same payload to this
 * receiver, and each message that was sent arrived exactly once (a #send
 * or #send-on-channel may instead have been dropped when its receiver
 * stopped: "undelivered").
 *
 * Pure over chains in memory: th_links_add indexes only the message events
 * of a chain (a few hashes each), so the caller can load, add and free
 * chains one at a time. */
#ifndef TH_CHAIN_LINKS_H
#define TH_CHAIN_LINKS_H

#include <stddef.h>
#include <stdint.h>

#include "theater/theater.h"

typedef struct th_links th_links;

/* One bad link, as reported. An event index is -1 when there is no such
 * event: the sender's event was not found, or nothing received the
 * message. receiver is "" when not even the receiver is known. */
typedef struct th_link_failure {
    char receiver[33];
    int64_t receiver_event;
    char sender[33];
    int64_t sender_event;
    char reason[400];
} th_link_failure;

/* The links one actor takes part in. A failure belongs to the actor whose
 * event shows it: the receiver for a link that does not hold, the sender
 * for a message that nobody received. */
typedef struct th_link_report {
    size_t in_ok;              /* messages it received whose link holds */
    size_t out_ok;             /* messages it sent that were received exactly once */
    size_t undelivered;        /* sends dropped because the receiver stopped */
    size_t failed;             /* bad links */
    th_link_failure first_bad; /* at the lowest event index, when failed > 0 */
} th_link_report;

th_links *th_links_new(void);
void th_links_free(th_links *links);

/* Indexes the message events, links and stops of one actor's chain; the
 * chain is not kept. chain is NULL for an actor that is stored but whose
 * chain could not be read: links to and from it fail, saying so. Add each
 * actor once, then call th_links_check. Returns -1 with err when actor_id
 * is not 32 lowercase hex digits. */
int th_links_add(th_links *links, const char *actor_id, const th_chain *chain, th_error *err);

/* Checks every link among the actors added. Returns the number of bad
 * links. Call once, after the last th_links_add. */
size_t th_links_check(th_links *links);

/* The report of an actor added before th_links_check; NULL if not added. */
const th_link_report *th_links_report(const th_links *links, const char *actor_id);

#endif
