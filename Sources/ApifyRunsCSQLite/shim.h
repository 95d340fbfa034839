#ifndef APIFY_RUNS_CSQLITE_SHIM_H
#define APIFY_RUNS_CSQLITE_SHIM_H

#include <sqlite3.h>

// Swift cannot call C variadic functions; these wrap the calls we need with fixed signatures.

/// sqlite3_file_control for the options that take a pointer to an int.
static inline int apify_sqlite3_file_control_int(sqlite3 *db, const char *schema, int op, int value) {
    int v = value;
    return sqlite3_file_control(db, schema, op, &v);
}

/// SQLITE_TRANSIENT is a macro around a cast of -1 that Swift does not import.
static inline sqlite3_destructor_type apify_sqlite3_transient(void) {
    return SQLITE_TRANSIENT;
}

/// SQLITE_STATIC as a function, for binds whose buffer outlives the step.
static inline sqlite3_destructor_type apify_sqlite3_static(void) {
    return SQLITE_STATIC;
}

/// Turns off SQLite's memory statistics, which take a global mutex on every allocation. Takes effect
/// only before the library initializes (at the first open); returns SQLITE_MISUSE after that.
static inline int apify_sqlite3_disable_memory_statistics(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

#endif
