/*
 * pseudo.c - keyed MAC pseudonyms (see pseudo.h): the key file, the HMAC,
 * and the walk over a record's strings and keys.
 */
#include "pseudo.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

#define MAC_TEXT_LEN	17	/* "xx:xx:xx:xx:xx:xx" */
#define KEY_HASH_LEN	16	/* the phy hash before '_' */

int
pseudo_load(struct pseudo *p, const char *path, int keep_oui)
{
	unsigned char buf[PSEUDO_KEY_MAX + 2];
	struct stat st;
	size_t len = 0;
	ssize_t n;
	int fd;

	memset(p, 0, sizeof(*p));
	p->keep_oui = keep_oui;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		log_errno("--pseudonymize-macs %s", path);
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		log_errno("--pseudonymize-macs %s", path);
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || (st.st_mode & (S_IRGRP | S_IROTH))) {
		log_err("--pseudonymize-macs %s: %s", path, S_ISREG(st.st_mode) ?
		    "readable by group or others: chmod 600 it" : "not a regular file");
		close(fd);
		return -1;
	}
	while (len < sizeof(buf) && (n = read(fd, buf + len, sizeof(buf) - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_errno("--pseudonymize-macs %s", path);
			close(fd);
			OPENSSL_cleanse(buf, sizeof(buf));
			return -1;
		}
		len += (size_t)n;
	}
	close(fd);
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	if (len < PSEUDO_KEY_MIN || len > PSEUDO_KEY_MAX) {
		log_err("--pseudonymize-macs %s: the key must be %d to %d bytes (it is %zu)",
		    path, PSEUDO_KEY_MIN, PSEUDO_KEY_MAX, len);
		OPENSSL_cleanse(buf, sizeof(buf));
		return -1;
	}
	memcpy(p->key, buf, len);
	p->len = len;
	OPENSSL_cleanse(buf, sizeof(buf));
	return 0;
}

void
pseudo_clear(struct pseudo *p)
{
	OPENSSL_cleanse(p, sizeof(*p));
}

void
pseudo_mac(const struct pseudo *p, const unsigned char in[6], unsigned char out[6])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (HMAC(EVP_sha256(), p->key, (int)p->len, in, 6, md, &mdlen) == NULL || mdlen < 6) {
		/* cannot happen with SHA-256; never let the real MAC through */
		memset(md, 0, sizeof(md));
	}
	if (p->keep_oui) {
		memcpy(out, in, 3);
		memcpy(out + 3, md, 3);
	} else {
		memcpy(out, md, 6);
		out[0] = (unsigned char)((out[0] & 0xfc) | 0x02);	/* local, unicast */
	}
	OPENSSL_cleanse(md, sizeof(md));
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* s[0..17) is "hh:hh:hh:hh:hh:hh" (the length is checked by the caller). */
static int
mac_at(const char *s, unsigned char mac[6])
{
	int hi, lo;

	for (int i = 0; i < 6; i++) {
		if (i > 0 && s[(size_t)i * 3 - 1] != ':')
			return 0;
		hi = hexval(s[(size_t)i * 3]);
		lo = hexval(s[(size_t)i * 3 + 1]);
		if (hi < 0 || lo < 0)
			return 0;
		mac[i] = (unsigned char)(hi << 4 | lo);
	}
	return 1;
}

/* A device key at s (n bytes left): 16 hex digits, '_', 1..12 hex digits
 * not followed by another; *klen its length and mac its MAC bytes. */
static int
key_at(const char *s, size_t n, size_t *klen, unsigned char mac[6])
{
	uint64_t v = 0;
	size_t i, d;

	if (n < KEY_HASH_LEN + 2 || s[KEY_HASH_LEN] != '_')
		return 0;
	for (i = 0; i < KEY_HASH_LEN; i++)
		if (hexval(s[i]) < 0)
			return 0;
	for (d = 0, i = KEY_HASH_LEN + 1; i < n && hexval(s[i]) >= 0; i++, d++) {
		if (d == 12)
			return 0;
		v = v << 4 | (uint64_t)hexval(s[i]);
	}
	if (d == 0)
		return 0;
	for (i = 0; i < 6; i++)
		mac[i] = (unsigned char)(v >> (8 * i));
	*klen = KEY_HASH_LEN + 1 + d;
	return 1;
}

/* Unknown and broadcast are nobody's. */
static int
mac_kept(const unsigned char mac[6])
{
	static const unsigned char zero[6], bcast[6] = { 255, 255, 255, 255, 255, 255 };

	return memcmp(mac, zero, 6) == 0 || memcmp(mac, bcast, 6) == 0;
}

char *
pseudo_text(const struct pseudo *p, const char *s, size_t len, size_t *outlen)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char in[6], ps[6];
	char *out = NULL;
	size_t i = 0, o = 0, klen;
	int any = 0;

	*outlen = 0;
	while (i < len) {
		int is_mac = len - i >= MAC_TEXT_LEN && mac_at(s + i, in);
		int is_key = !is_mac && (i == 0 || hexval(s[i - 1]) < 0) &&
		    key_at(s + i, len - i, &klen, in);

		if (!is_mac && !is_key) {
			if (out)
				out[o++] = s[i];
			i++;
			continue;
		}
		if (out == NULL) {
			/* a MAC keeps its length; a key of >= 18 bytes becomes
			 * at most 16+1+12: twice the input is always enough */
			if ((out = malloc(2 * len + 32)) == NULL) {
				*outlen = 1;
				return NULL;
			}
			memcpy(out, s, i);
			o = i;
		}
		any = 1;
		if (mac_kept(in))
			memcpy(ps, in, 6);
		else
			pseudo_mac(p, in, ps);
		if (is_mac) {
			for (int b = 0; b < 6; b++) {
				if (b > 0)
					out[o++] = ':';
				out[o++] = hex[ps[b] >> 4];
				out[o++] = hex[ps[b] & 15];
			}
			i += MAC_TEXT_LEN;
		} else {
			uint64_t v = 0;
			int started = 0;

			memcpy(out + o, s + i, KEY_HASH_LEN + 1);
			o += KEY_HASH_LEN + 1;
			for (int b = 5; b >= 0; b--)
				v = v << 8 | ps[b];
			/* Kismet prints the number without leading zeros, upper case */
			for (int sh = 44; sh >= 0; sh -= 4) {
				unsigned dgt = (unsigned)(v >> sh) & 15;

				if (dgt || started || sh == 0) {
					out[o++] = "0123456789ABCDEF"[dgt];
					started = 1;
				}
			}
			i += klen;
		}
	}
	if (!any)
		return NULL;
	out[o] = '\0';
	*outlen = o;
	return out;
}

static int
walk_string(const struct pseudo *p, json_t *v)
{
	size_t n;
	char *t = pseudo_text(p, json_string_value(v), json_string_length(v), &n);

	if (t == NULL)
		return n ? -1 : 0;
	n = (size_t)json_string_setn_nocheck(v, t, n);
	free(t);
	return n ? -1 : 0;
}

static int
walk_object(const struct pseudo *p, json_t *v)
{
	const char *k;
	json_t *e;
	char **old = NULL, **renamed = NULL;
	size_t n = 0, cap = 0, len;
	int rc = 0;

	json_object_foreach(v, k, e) {
		char *t;

		if (pseudo_json(p, e) < 0) {
			rc = -1;
			break;
		}
		t = pseudo_text(p, k, strlen(k), &len);
		if (t == NULL) {
			if (len)
				rc = -1;
			continue;
		}
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 8;
			char **a = realloc(old, nc * sizeof(*a)), **b;

			if (a)
				old = a;
			b = a ? realloc(renamed, nc * sizeof(*b)) : NULL;
			if (b == NULL) {
				free(t);
				rc = -1;
				break;
			}
			renamed = b;
			cap = nc;
		}
		old[n] = strdup(k);
		renamed[n] = t;
		if (old[n] == NULL) {
			free(t);
			rc = -1;
			break;
		}
		n++;
	}
	/* rename after the walk: the iteration must not see its own changes */
	for (size_t i = 0; i < n; i++) {
		e = json_object_get(v, old[i]);
		if (rc == 0 && (e == NULL || json_object_set(v, renamed[i], e) < 0))
			rc = -1;
		if (rc == 0 && strcmp(old[i], renamed[i]) != 0)
			json_object_del(v, old[i]);
		free(old[i]);
		free(renamed[i]);
	}
	free(old);
	free(renamed);
	return rc;
}

int
pseudo_json(const struct pseudo *p, json_t *v)
{
	size_t i;
	json_t *e;

	if (json_is_string(v))
		return walk_string(p, v);
	if (json_is_object(v))
		return walk_object(p, v);
	if (json_is_array(v)) {
		json_array_foreach(v, i, e)
			if (pseudo_json(p, e) < 0)
				return -1;
	}
	return 0;
}
