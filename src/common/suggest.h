/* "Did you mean" hints for misspelt names. */
#ifndef TH_COMMON_SUGGEST_H
#define TH_COMMON_SUGGEST_H

#include <stddef.h>

/* The candidate closest to `word` by edit distance, if it is close enough
 * to be a plausible typo (distance <= 2, or <= a third of the length for
 * long words); NULL otherwise. candidates is a NULL-terminated array. */
const char *th_suggest(const char *word, const char *const *candidates);

#endif
