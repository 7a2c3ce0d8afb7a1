/*
 * device.h - the device path: one Kismet device message (a REST poll
 * element, a kismetdb devices.device column; full or field-simplified) read
 * with lib/jscan into a view of the fields the record contract needs, and
 * that view written as a device record line (ARCHITECTURE.md sections 2 and
 * 2b).  No tree is built: the rest of a full object (12 KB of RRDs, dot11
 * details...) is only validated and skipped.  This file depends on nothing
 * else of kismet-tap's: project.c (events, --raw, the field list) calls it,
 * never the other way round.
 */
#ifndef TAP_DEVICE_H
#define TAP_DEVICE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "jscan.h"

/* The fields read (device_paths() lists their Kismet paths). */
enum device_field {
	DF_MAC, DF_KEY, DF_TYPE, DF_NAME, DF_USER, DF_PHY, DF_MANUF, DF_FIRST,
	DF_LAST, DF_CHAN, DF_FREQ, DF_PKTS, DF_TX, DF_RX, DF_DSIZE, DF_SIGTYPE,
	DF_SIG, DF_NOISE, DF_LOCFIX,
	DF_GEO,		/* location/last's geopoint */
	DF_ALT,		/* location/last's alt */
	DF_FIX,		/* location/last's fix */
	/* section 2b: Wi-Fi identity, signal range, radios */
	DF_CRYPT, DF_SIGMIN, DF_SIGMAX,
	DF_SEENBY,	/* the seenby array (its elements' uuids) */
	DF_SSID, DF_CLOAKED, DF_QBSS, DF_CHANUTIL,	/* last beaconed SSID record */
	DF_BSSID, DF_NCLIENTS,
	DF_HANDSHAKES,	/* wpa_handshake_list: MAC -> EAPOL frames */
	DF_ASSOC,	/* associated_client_map: client MAC -> key */
	DF_CLIENTS,	/* client_map: BSSID -> client record */
	DF_PROBED,	/* probed_ssid_map: probed SSID records */
	DF_COUNT
};

/* device_line()/device_paths() options */
#define DEVICE_PROBED_SSIDS	0x1u	/* probed_ssids: opt-in, probe requests
					 * reveal where a person has been */
/* device_paths() only: a lean list for a device known to be of a kind whose
 * answer to the paths left out is Kismet's 0 (nothing in the record) */
#define DEVICE_PATHS_STA	0x2u	/* Wi-Fi without a beaconed SSID record or
					 * associated clients: no cloaked, QBSS,
					 * utilization, associated_client_map */
#define DEVICE_PATHS_NOT_WIFI	0x4u	/* not IEEE802.11: no dot11.device paths */

/* List members (seenby uuids, probed SSIDs, client map keys) collected in
 * the one validating pass; a list longer than this is read again from its
 * span when the line is written. */
#define DV_ITEMS 64

struct device_view {
	struct jspan f[DF_COUNT];	/* type JSCAN_NONE: absent */
	unsigned char prio[DF_COUNT];	/* 2 a whole-path key, 1 nested */
	unsigned char loc_prio;		/* of the location/last object used */
	const char *err;		/* invalid JSON: what (jscan) */
	size_t err_off;			/* and where */
	struct jspan item[DV_ITEMS];	/* collected list members ... */
	unsigned char item_of[DV_ITEMS];	/* ... and the DF_ list of each */
	unsigned n_items;
	uint64_t overflow;		/* bit per DF_ list: items did not fit */
	int64_t handshakes;		/* EAPOL frames counted in the scan */
};

/* Read a device message.  0, or -1 when it is not valid JSON or not an
 * object (*why, and dv->err/err_off for invalid JSON). */
int device_scan(struct device_view *dv, const char *text, size_t len, const char **why);

/* Field f as a non-empty string into buf (Kismet's 0 for "not set" is no
 * string), else NULL; as an integer (1 if it is a number). */
const char *device_str(const struct device_view *dv, enum device_field f, char *buf,
    size_t cap);
int device_int(const struct device_view *dv, enum device_field f, int64_t *out);

/* De-duplication identity: the device key (else its MAC) decoded into
 * key.  0 or -1 and *why. */
int device_ident(const struct device_view *dv, char *key, size_t keycap,
    const char **why);

/* Lower-case copy of a MAC into out (size >= 32); 0, or -1 if not a MAC
 * string or all zeros. */
int device_mac(const char *in, char out[32]);

/* The device location rule (section 2): [lon, lat] with a fix of 2 or
 * more, not [0,0], in range.  1 if the point is usable. */
int device_geo_ok(double lon, double lat, int64_t fix);

/* The lower-case MAC and last_time every device record needs. 0 or -1. */
int device_basics(const struct device_view *dv, char mac[32], int64_t *last,
    const char **why);

/* Replace out's content with the device record line ('\n' included, and
 * a NUL after it).  sensor may be NULL (left out); flags DEVICE_*.
 * 0, or -1 and *why. */
int device_line(const struct device_view *dv, const char *sensor,
    unsigned flags, struct buf *out, const char **why);

/* The Kismet paths a record reads with these flags (the REST/eventbus
 * "fields" list): up to cap of them into out; their count. */
#define DEVICE_MAX_PATHS 48
size_t device_paths(unsigned flags, const char **out, size_t cap);

/* The DEVICE_PATHS_* lists a device read into dv may be asked with next
 * time (0: only the whole list).  An answer to a lean list is complete when
 * the flags asked are all among these; otherwise the device changed kind
 * (an SSID beaconed, a client associated) and must be asked again whole. */
unsigned device_paths_lean(const struct device_view *dv);

#endif
