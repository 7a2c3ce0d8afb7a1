#!/usr/bin/env bats
# tests/kismet-tap-privacy.bats - kismet-tap --pseudonymize-macs KEYFILE [--keep-oui]:
# no real MAC (nor a device key, which embeds one) of the recordings leaves the tap,
# from the Kismet log (--kismetdb --events, plain and --raw) or from the replay server
# (--once); same key -> same pseudonyms, another key -> others; --keep-oui keeps the OUI;
# key file checks.  The real MACs are taken from the raw recordings with grep -o.

load lib/common
bats_require_minimum_version 1.5.0

KR=$KES_TOP/tests/kismet-replay/kismet-replay
KEY=DC28D8A94C72B85B514483A49BC51BE7
DB=$KES_DATA/kismet/kismetdb/field-sample.kismet
NOW_FINAL=1795704347
MACRE='[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}'
export KISMET_APIKEY=$KEY

setup() {
	S=$(scratch)
	head -c 32 /dev/urandom >"$S/key1" && chmod 600 "$S/key1"
	head -c 32 /dev/urandom >"$S/key2" && chmod 600 "$S/key2"
}

teardown() {
	if [ -n "${KR_PID:-}" ]; then kill "$KR_PID" 2>/dev/null || true; wait "$KR_PID" 2>/dev/null || true; fi
}

# every MAC in the raw recordings (REST, eventbus, the Kismet log), upper case, minus
# the two that identify nobody (unknown, broadcast: kept as they are)
real_macs() {
	{
		grep -ohE "$MACRE" "$KES_DATA"/kismet/rest_final/*.json "$KES_DATA"/kismet/eventbus/*.ndjson
		sqlite3 "$DB" "SELECT devmac, device FROM devices; SELECT json FROM alerts;
			SELECT message FROM messages;" | grep -oE "$MACRE"
	} | tr a-f A-F | sort -u | grep -vxE '00(:00){5}|FF(:FF){5}'
}

# the MAC part of every device key in the recordings ("PHYHASH_MACREVERSED")
real_key_tails() {
	{
		cat "$KES_DATA"/kismet/rest_final/*.json
		sqlite3 "$DB" "SELECT device FROM devices"
	} | grep -ohE '[0-9A-F]{16}_[0-9A-F]{4,12}' | sed 's/^.*_/_/' | sort -u
}

# no_real_mac FILE: not one real MAC or device key tail in FILE (any case)
no_real_mac() {
	real_macs >"$S/real"
	[ "$(wc -l <"$S/real")" -gt 60 ]
	grep -c . "$1"
	if grep -i -F -f "$S/real" "$1"; then return 1; fi
	real_key_tails >"$S/tails"
	[ "$(wc -l <"$S/tails")" -gt 50 ]
	if grep -F -f "$S/tails" "$1"; then return 1; fi
}

@test "privacy: --kismetdb --events: no real MAC or device key in the output, plain and --raw" {
	kismet-tap --kismetdb "$DB" --events ALERT,MESSAGE --pseudonymize-macs "$S/key1" >"$S/out" 2>"$S/err"
	kismet-tap --kismetdb "$DB" --events ALERT,MESSAGE --raw --pseudonymize-macs "$S/key1" >>"$S/out" 2>>"$S/err"
	kismet-tap --kismetdb "$DB" --events ALERT,MESSAGE --format text --pseudonymize-macs "$S/key1" >>"$S/out" 2>>"$S/err"
	# the same run without the option does show them (the check can fail)
	kismet-tap --kismetdb "$DB" --events ALERT,MESSAGE --raw >"$S/clear" 2>/dev/null
	real_macs >"$S/real"
	grep -q -i -F -f "$S/real" "$S/clear"
	no_real_mac "$S/out"
	no_real_mac "$S/err"
	# records and events are all there, every MAC field a locally administered unicast MAC
	[ "$(jq -s 'map(select(.record_type == "device")) | length' <(head -n "$(wc -l <"$S/clear")" "$S/out"))" -gt 50 ]
	jq -r 'select(.record_type == "device") | .mac_addr, .device_key' <(kismet-tap --kismetdb "$DB" --pseudonymize-macs "$S/key1" 2>/dev/null) |
		paste - - >"$S/pairs"
	while read -r mac key; do
		[[ "$mac" =~ ^[0-9a-f]{2}(:[0-9a-f]{2}){5}$ ]]
		(( (0x${mac:0:2} & 3) == 2 ))
		# the key's tail is the pseudonym's bytes reversed, as Kismet forms it
		tail=$(printf '%X' "0x$(echo "$mac" | tr -d : | sed -E 's/(..)(..)(..)(..)(..)(..)/\6\5\4\3\2\1/')")
		[ "${key#*_}" = "$tail" ]
	done <"$S/pairs"
	# MACs inside event texts are replaced too
	jq -r 'select(.event_type == "ALERT") | .event_data | .. | strings' "$S/out" | grep -qE "$MACRE"
}

@test "privacy: --once against the replay server: no real MAC, same key same pseudonyms" {
	rm -f "$S/port"
	"$KR" --port 0 --port-file "$S/port" --apikey "$KEY" --start-time $NOW_FINAL --freeze 2>"$S/replay.err" &
	KR_PID=$!
	wait_for test -s "$S/port"
	port=$(cat "$S/port")
	kismet-tap --once --kismet-port "$port" --pseudonymize-macs "$S/key1" >"$S/a" 2>"$S/a.err"
	kismet-tap --once --kismet-port "$port" --raw --pseudonymize-macs "$S/key1" >"$S/raw" 2>"$S/raw.err"
	kismet-tap --once --kismet-port "$port" --pseudonymize-macs "$S/key1" >"$S/b" 2>/dev/null
	kismet-tap --once --kismet-port "$port" --pseudonymize-macs "$S/key2" >"$S/c" 2>/dev/null
	kismet-tap --once --kismet-port "$port" >"$S/clear" 2>/dev/null
	[ "$(wc -l <"$S/a")" -eq 59 ]
	no_real_mac "$S/a"
	no_real_mac "$S/raw"
	no_real_mac "$S/a.err"
	jq -r .mac_addr "$S/a" | sort >"$S/ma"
	jq -r .mac_addr "$S/b" | sort >"$S/mb"
	jq -r .mac_addr "$S/c" | sort >"$S/mc"
	jq -r .mac_addr "$S/clear" | sort >"$S/mclear"
	# same key: the same 59 pseudonyms; another key: none of them; all distinct
	[ "$(sort -u "$S/ma" | wc -l)" -eq 59 ]
	diff "$S/ma" "$S/mb"
	[ "$(comm -12 "$S/ma" "$S/mc" | wc -l)" -eq 0 ]
	[ "$(comm -12 "$S/ma" "$S/mclear" | wc -l)" -eq 0 ]
}

@test "privacy: the live loop (polls + eventbus, every topic): MESSAGE texts and BASEDEV events carry no real MAC" {
	rm -f "$S/port"
	"$KR" --port 0 --port-file "$S/port" --apikey "$KEY" --start-offset 95 --speed 20 2>"$S/replay.err" &
	KR_PID=$!
	wait_for test -s "$S/port"
	kismet-tap --kismet-port "$(cat "$S/port")" --update-rate 0.5 --events '*' \
		--pseudonymize-macs "$S/key1" >"$S/live" 2>"$S/live.err" &
	tap=$!
	WAIT_SECS=40 wait_for bash -c "jq -e -s 'map(select(.event_type == \"MESSAGE\" and (.event_data | tostring | test(\"Detected new\")))) | length >= 3' '$S/live' >/dev/null 2>&1"
	WAIT_SECS=40 wait_for bash -c "jq -e -s 'map(select(.event_type // \"\" | startswith(\"DOT11_\"))) | length >= 1' '$S/live' >/dev/null 2>&1"
	kill -TERM "$tap"
	wait "$tap"
	# the texts still name a device, with a pseudonym in place of its MAC
	jq -r 'select(.event_type == "MESSAGE") | .event_data | .. | strings | select(test("Detected new"))' "$S/live" >"$S/texts"
	grep -qE "device $MACRE" "$S/texts"
	[ "$(jq -s 'map(select(.record_type == "device")) | length' "$S/live")" -gt 20 ]
	no_real_mac "$S/live"
	no_real_mac "$S/live.err"
}

@test "privacy: --keep-oui keeps the first 3 octets (no LA bit), replaces the last 3" {
	kismet-tap --kismetdb "$DB" >"$S/clear" 2>/dev/null
	kismet-tap --kismetdb "$DB" --pseudonymize-macs "$S/key1" --keep-oui >"$S/oui" 2>/dev/null
	kismet-tap --kismetdb "$DB" --pseudonymize-macs "$S/key1" >"$S/la" 2>/dev/null
	paste <(jq -r .mac_addr "$S/clear") <(jq -r .mac_addr "$S/oui") <(jq -r .mac_addr "$S/la") >"$S/cols"
	[ "$(wc -l <"$S/cols")" -gt 50 ]
	changed_la=0
	while read -r real oui la; do
		[ "${oui:0:8}" = "${real:0:8}" ]
		[ "${oui:9}" != "${real:9}" ]
		[ "${la:0:8}" != "${real:0:8}" ] || (( (0x${real:0:2} & 2) == 2 ))
		(( (0x${la:0:2} & 3) == 2 ))
		(( (0x${real:0:2} & 2) == 2 )) || changed_la=$((changed_la + 1))
	done <"$S/cols"
	[ "$changed_la" -gt 10 ]
}

@test "privacy: the pseudonym is HMAC-SHA256(key, MAC bytes), first 6 bytes, LA set, multicast clear (checked with openssl)" {
	printf 'kismet-es test key, 32 bytes...' >"$S/k" && chmod 600 "$S/k"
	hexkey=$(od -An -tx1 "$S/k" | tr -d ' \n')
	kismet-tap --kismetdb "$DB" >"$S/clear" 2>/dev/null
	kismet-tap --kismetdb "$DB" --pseudonymize-macs "$S/k" >"$S/p" 2>/dev/null
	kismet-tap --kismetdb "$DB" --pseudonymize-macs "$S/k" --keep-oui >"$S/o" 2>/dev/null
	paste <(jq -r .mac_addr "$S/clear") <(jq -r .mac_addr "$S/p") <(jq -r .mac_addr "$S/o") | head -n 12 >"$S/cols"
	[ "$(wc -l <"$S/cols")" -eq 12 ]
	while read -r real got oui; do
		h=$(printf "$(echo "$real" | sed 's/:/\\x/g; s/^/\\x/')" |
			openssl dgst -sha256 -mac HMAC -macopt "hexkey:$hexkey" | sed 's/^.*= //')
		b0=$(( (0x${h:0:2} & 0xfc) | 2 ))
		want=$(printf '%02x:%s:%s:%s:%s:%s' "$b0" "${h:2:2}" "${h:4:2}" "${h:6:2}" "${h:8:2}" "${h:10:2}")
		[ "$got" = "$want" ]
		[ "$oui" = "${real:0:8}:${h:0:2}:${h:2:2}:${h:4:2}" ]
	done <"$S/cols"
}

@test "privacy: the key file must be >= 16 bytes and private; --keep-oui needs the option" {
	head -c 15 /dev/urandom >"$S/short" && chmod 600 "$S/short"
	run --separate-stderr kismet-tap --kismetdb "$DB" --pseudonymize-macs "$S/short"
	[ "$status" -eq 78 ]
	[[ "$stderr" == *"16"* ]]
	[ -z "$output" ]
	chmod 640 "$S/key1"
	run --separate-stderr kismet-tap --kismetdb "$DB" --pseudonymize-macs "$S/key1"
	[ "$status" -eq 78 ]
	[[ "$stderr" == *"readable by group or others"* ]]
	[ -z "$output" ]
	chmod 604 "$S/key1"
	run --separate-stderr kismet-tap --kismetdb "$DB" --pseudonymize-macs "$S/key1"
	[ "$status" -eq 78 ]
	run --separate-stderr kismet-tap --kismetdb "$DB" --pseudonymize-macs "$S/missing"
	[ "$status" -eq 78 ]
	run --separate-stderr kismet-tap --kismetdb "$DB" --keep-oui
	[ "$status" -eq 64 ]
	[[ "$stderr" == *"--keep-oui needs --pseudonymize-macs"* ]]
	# a trailing newline is not part of the key: the same pseudonyms
	chmod 600 "$S/key1"
	printf 'abcdefghijklmnopqrstuvwxyz' >"$S/k3" && printf 'abcdefghijklmnopqrstuvwxyz\n' >"$S/k4"
	chmod 600 "$S/k3" "$S/k4"
	diff <(kismet-tap --kismetdb "$DB" --pseudonymize-macs "$S/k3" 2>/dev/null) \
		<(kismet-tap --kismetdb "$DB" --pseudonymize-macs "$S/k4" 2>/dev/null)
}

@test "privacy: the Wi-Fi fields and alerts (bssid, client lists, alert MACs): every string value scanned, joins kept" {
	kismet-tap --kismetdb "$DB" --events ALERT,MESSAGE --probed-ssids --pseudonymize-macs "$S/key1" >"$S/p" 2>"$S/err"
	kismet-tap --kismetdb "$DB" --events ALERT,MESSAGE --probed-ssids >"$S/clear" 2>/dev/null
	# the fields that hold MACs are there in the clear run (the check can fail)
	jq -e -s 'any(.[]; has("bssid")) and any(.[]; has("associated_clients"))
		and any(.[]; has("connected_bssids")) and any(.[]; .alert.source_mac != null)' "$S/clear"
	# every string value and every key of every record, one per line
	jq -r '.. | (strings), (objects | keys[])' "$S/p" >"$S/strings"
	[ "$(wc -l <"$S/strings")" -gt 1000 ]
	real_macs >"$S/real"
	if grep -i -F -f "$S/real" "$S/strings"; then false; fi
	no_real_mac "$S/p"
	no_real_mac "$S/err"
	# a client and the AP it talks to still join: bssid/connected_bssids/associated_clients
	# hold the same pseudonyms as the devices' own mac_addr
	jq -r 'select(.record_type == "device") | .mac_addr' "$S/p" | sort -u >"$S/macs"
	jq -r 'select(.record_type == "device") | (.bssid // empty), (.associated_clients // [])[], (.connected_bssids // [])[]' "$S/p" | sort -u >"$S/refs"
	jq -r 'select(.record_type == "device") | (.bssid // empty), (.associated_clients // [])[], (.connected_bssids // [])[]' "$S/clear" | sort -u >"$S/refs.clear"
	jq -r 'select(.record_type == "device") | .mac_addr' "$S/clear" | sort -u >"$S/macs.clear"
	[ "$(comm -12 "$S/refs" "$S/macs" | wc -l)" -eq "$(comm -12 "$S/refs.clear" "$S/macs.clear" | wc -l)" ]
	[ "$(comm -12 "$S/refs" "$S/macs" | wc -l)" -gt 5 ]
	# an alert's transmitter is a device of the log: the same pseudonym on both sides
	jq -r 'select(.alert.transmitter_mac) | .alert.transmitter_mac' "$S/p" | sort -u >"$S/tx"
	[ "$(comm -12 "$S/tx" "$S/macs" | wc -l)" -gt 0 ]
	jq -e -s 'all(.[]; .record_type != "event" or .event_type != "ALERT" or
		((.alert.transmitter_mac // null) == (.device_mac // null)) or (.alert.transmitter_mac == null))' "$S/p"
}
