/* tensor_api.c - placeholder, filled in by its issue. */
