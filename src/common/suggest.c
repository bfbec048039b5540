#include "common/suggest.h"

#include <stdlib.h>
#include <string.h>

#include "common/buf.h"

/* Levenshtein distance between a (alen bytes) and b (blen bytes), with one
 * row of blen + 1 cells supplied by the caller. Bytes, not characters:
 * the names this is used for are ASCII. */
static size_t edit_distance(const char *a, size_t alen, const char *b, size_t blen, size_t *row)
{
    for (size_t j = 0; j <= blen; j++)
        row[j] = j;
    for (size_t i = 1; i <= alen; i++) {
        size_t diagonal = row[0];
        row[0] = i;
        for (size_t j = 1; j <= blen; j++) {
            size_t above = row[j];
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t best = diagonal + cost;
            if (above + 1 < best)
                best = above + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diagonal = above;
        }
    }
    return row[blen];
}

const char *th_suggest(const char *word, const char *const *candidates)
{
    if (!word || !candidates)
        return NULL;
    size_t len = strlen(word);
    /* Two edits cover most typos (a swap of neighbours is two); long names
     * tolerate more. Rewriting the whole word is no typo, though. */
    size_t threshold = len / 3 > 2 ? len / 3 : 2;
    const char *best = NULL;
    size_t best_distance = threshold + 1;
    for (size_t i = 0; candidates[i]; i++) {
        size_t clen = strlen(candidates[i]);
        size_t gap = clen > len ? clen - len : len - clen;
        if (gap >= best_distance)
            continue; /* the distance is at least the difference in length */
        size_t *row = th_xmalloc((clen + 1) * sizeof *row);
        size_t d = edit_distance(word, len, candidates[i], clen, row);
        free(row);
        if (d < best_distance && d < len) {
            best = candidates[i];
            best_distance = d;
        }
    }
    return best;
}
