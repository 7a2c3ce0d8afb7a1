/*
 * ack.h - the ack channel between es-bulk and buffer-spool (ARCHITECTURE §5).
 *
 * One line per resolved batch: the decimal count of input lines, counted
 * from the start of es-bulk's input (every line, empty ones included), that
 * are resolved (indexed or dead-lettered).  The numbers never decrease.
 *   "1000\n" "2000\n" "2417\n"
 */
#ifndef KES_ACK_H
#define KES_ACK_H

#include <stddef.h>
#include <stdint.h>

#define ACK_LINE_MAX 24

/* Format one ack line ("N\n") into buf; returns its length. */
size_t ack_format(char buf[ACK_LINE_MAX], uint64_t resolved);
/* Parse one ack line (without its newline).  0 on success, -1 if it is not
 * a plain decimal number. */
int ack_parse(const char *line, size_t len, uint64_t *resolved);

#endif
