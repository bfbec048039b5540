/* theater:simple/http-handlers, served by [[handlers]] type = "http-server":
 * written in the capabilities work (issue 6). Until then the handler is not
 * served (th_handler_served), so no actor reaches these. */
#include "common/error.h"
#include "handlers/handlers.h"
#include "runtime/runtime.h"

int th_http_server_start(th_cell *cell, th_error *err)
{
    (void)cell;
    return th_error_set(err, "the http-server handler is not served by this version");
}

void th_http_server_stop(th_cell *cell)
{
    (void)cell;
}
