/* pool.c - placeholder, filled in by its issue. */
