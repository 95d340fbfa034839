#ifndef APIFY_RUNS_CMALLOC_SHIM_H
#define APIFY_RUNS_CMALLOC_SHIM_H

#include <malloc.h>

// glibc's malloc.h is not part of Swift's Glibc module.

/// mallopt(M_ARENA_MAX, count): at most `count` malloc arenas in this process. Returns 1 on success.
static inline int apify_limit_malloc_arenas(int count) {
    return mallopt(M_ARENA_MAX, count);
}

/// malloc_trim(0): gives the free pages inside every arena back to the kernel, not only the top of
/// the heap. Returns 1 if memory was released.
static inline int apify_release_free_heap(void) {
    return malloc_trim(0);
}

#endif
