/* Services: what a handler keeps running for an actor between its calls
 * (an HTTP daemon, pending timers). They start when the actor starts
 * (spawn, resume, restart) and stop when it stops, so that nothing outside
 * reaches an actor that is not running, and nothing an old incarnation set
 * up reaches a new one. Replays never start them. */
#include "handlers/handlers.h"
#include "runtime/runtime.h"
#include "runtime/timers.h"

int th_services_start(th_cell *cell, th_error *err)
{
    const th_manifest *m = cell->actor->manifest;
    if (th_manifest_grants(m, TH_HANDLER_HTTP_SERVER) && th_http_server_start(cell, err))
        return -1;
    return 0;
}

void th_services_stop(th_cell *cell)
{
    th_http_server_stop(cell);
    th_timers_cancel_cell(cell->rt->timers, cell);
}
