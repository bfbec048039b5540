/* What a supervisor receives about its children: freeing the lists the
 * supervisor imports return, and naming the ways a child can fail. */
#include <stdlib.h>

#include "../include/theater/actor.h"

void theater_string_list_free(theater_string_list *list)
{
    for (size_t i = 0; i < list->len; i++)
        theater_string_free(&list->items[i]);
    free(list->items);
    *list = (theater_string_list){NULL, 0};
}

void theater_event_list_free(theater_event_list *list)
{
    for (size_t i = 0; i < list->len; i++) {
        theater_event *ev = &list->items[i];
        theater_bytes_free(&ev->hash);
        theater_bytes_free(&ev->parent_hash);
        theater_string_free(&ev->event_type);
        theater_bytes_free(&ev->data);
    }
    free(list->items);
    *list = (theater_event_list){NULL, 0};
}

const char *theater_actor_error_kind_name(theater_actor_error_kind kind)
{
    switch (kind) {
    case THEATER_ACTOR_ERROR_TRAP:
        return "trap";
    case THEATER_ACTOR_ERROR_TIMEOUT:
        return "timeout";
    case THEATER_ACTOR_ERROR_OUT_OF_MEMORY:
        return "out-of-memory";
    case THEATER_ACTOR_ERROR_EXPORT_ERROR:
        return "export-error";
    case THEATER_ACTOR_ERROR_ABI_VIOLATION:
        return "abi-violation";
    }
    return "unknown"; /* a value cast from outside the enum */
}
