/* async.c - placeholder, filled in by its issue. */
