/*
 * pseudo.h - --pseudonymize-macs: keyed pseudonyms (HMAC-SHA256) for every
 * MAC address and Kismet device key in a record, before it leaves the
 * sensor (the guide's "Data Privacy").
 *
 * A MAC becomes the first 6 bytes of HMAC-SHA256(key, its 6 bytes) with
 * the locally-administered bit set and the multicast bit clear, or, with
 * keep_oui, its real first 3 octets and 3 pseudonymous ones.  Output is
 * lower case "xx:xx:xx:xx:xx:xx".  A device key "PHYHASH_REVERSEDMAC"
 * (Kismet's form: 16 hex digits, '_', the MAC's bytes reversed as one hex
 * number) keeps its phy hash and gets the pseudonym's bytes, so key and
 * MAC stay consistent.  00:00:00:00:00:00 and ff:ff:ff:ff:ff:ff (unknown,
 * broadcast) identify nobody and are kept.
 */
#ifndef TAP_PSEUDO_H
#define TAP_PSEUDO_H

#include <jansson.h>
#include <stddef.h>

#define PSEUDO_KEY_MIN	16
#define PSEUDO_KEY_MAX	1024

struct pseudo {
	unsigned char key[PSEUDO_KEY_MAX];
	size_t len;
	int keep_oui;
};

/* Read the key file (its bytes, a trailing CR/LF removed; >= 16 bytes;
 * refused if group- or world-readable).  0, or -1 (already reported). */
int pseudo_load(struct pseudo *p, const char *path, int keep_oui);
/* Overwrite the key. */
void pseudo_clear(struct pseudo *p);

/* The pseudonym of a MAC's 6 bytes. */
void pseudo_mac(const struct pseudo *p, const unsigned char in[6], unsigned char out[6]);

/* Text with every MAC and device key replaced: a malloc'd copy (NUL
 * terminated, *outlen set), or NULL with *outlen 0 when nothing matched,
 * NULL with *outlen 1 when out of memory. */
char *pseudo_text(const struct pseudo *p, const char *s, size_t len, size_t *outlen);

/* Every string value and object key of v, recursively, in place.
 * 0, or -1 when out of memory. */
int pseudo_json(const struct pseudo *p, json_t *v);

#endif
