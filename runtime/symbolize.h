/*
 * symbolize.h - names for code addresses, for reports made without the
 * plugin's allocation sites.
 */
#ifndef TSMEM_SYMBOLIZE_H
#define TSMEM_SYMBOLIZE_H

#include <stddef.h>

/* Writes a name for the code at return address `ret` into buf:
 * "function at file:line (binary)" when the binary has debug information,
 * "function (binary)" when only its symbol table names it, else
 * "binary(+0xoffset)". Runs addr2line (or $TSMEM_SYMBOLIZER; "0" turns it
 * off) on the binary, so it is for reports, not hot paths. Returns buf. */
char *ts__symbolize(const void *ret, char *buf, size_t n);

#endif /* TSMEM_SYMBOLIZE_H */
