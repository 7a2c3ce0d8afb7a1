#!/usr/bin/env bats
# tests/ops.bats - the operations side, no search node: the systemd units
# (systemd-analyze verify in a temporary installed root; the pipeline wrapper
# in their ExecStart run with stand-in tools), the cron scripts (flock, exit
# statuses, pipefail, secrets through the environment) and every man page
# (mandoc lint; kismet-es(7) against lib/exitcodes.h and the record contract).

load lib/common
bats_require_minimum_version 1.5.0

UNITS=(kismet-es.service kismet-es-offline.service kismet-es-drain.service kismet-es-drain.timer)
SYSD=$KES_TOP/scripts/systemd
CRON=$KES_TOP/scripts/cron

# A root that looks like an installed system: `make install` of this tree
# under PREFIX=/usr/local, the units in /etc/systemd/system, systemd's own
# units and bash (the units' ExecStart checks resolve inside --root).
make_root() {
	local r=$1
	# the Makefile's install rule, without building (-o all): the binaries
	# under test (KES_BIN_DIR, maybe an ASan build) and the man pages
	make -s -C "$KES_TOP" -o all install DESTDIR="$r" PREFIX=/usr/local BIN="$KES_BIN_DIR" >/dev/null
	mkdir -p "$r/usr/lib/systemd" "$r/usr/bin" "$r/etc/systemd/system" "$r/etc/kismet-es"
	cp -a /usr/lib/systemd/system "$r/usr/lib/systemd/"
	cp /usr/bin/bash "$r/usr/bin/bash"
	ln -s usr/bin "$r/bin"
	ln -s usr/lib "$r/lib"
	cp "${UNITS[@]/#/$SYSD/}" "$r/etc/systemd/system/"
	install -m 0600 "$SYSD/kismet-es.env" "$r/etc/kismet-es/kismet-es.env"
}

# verify UNIT... in root $1: status 0 AND no message at all (unknown keys
# and bad values are only warnings for systemd-analyze).  Documentation=
# man: pages are looked up by man(1) in the installed tree.
verify_in() {
	local r=$1; shift
	(cd "$r/etc/systemd/system" && MANPATH="$r/usr/local/share/man" \
		systemd-analyze verify --root="$r" "$@" 2>&1)
}

@test "ops: systemd-analyze verify accepts every unit in an installed tree, silently" {
	command -v systemd-analyze || { echo "systemd-analyze missing: apt-get install systemd" >&2; false; }
	r=$(scratch)/root
	make_root "$r"
	run verify_in "$r" "${UNITS[@]}"
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "ops: systemd-analyze verify rejects a missing binary, a bad value and an unknown key" {
	r=$(scratch)/root
	make_root "$r"
	u=$r/etc/systemd/system
	rm "$r/usr/local/bin/buffer-spool"
	run verify_in "$r" kismet-es-drain.service
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"/usr/local/bin/buffer-spool"* ]]
	sed 's/^ProtectSystem=strict/ProtectSystem=bogus/; s/^Restart=on-failure/Restrt=on-failure/' \
		"$u/kismet-es.service" > "$u/broken.service"
	run verify_in "$r" broken.service
	echo "$output"
	[[ "$output" == *"Restrt"* && "$output" == *"bogus"* ]]
}

@test "ops: the units run as a dynamic user with the hardening and the restart policy" {
	for u in kismet-es.service kismet-es-offline.service kismet-es-drain.service; do
		f=$SYSD/$u
		for line in DynamicUser=yes StateDirectory=kismet-es StateDirectoryMode=0700 UMask=0077 \
		    NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes PrivateTmp=yes \
		    CapabilityBoundingSet= EnvironmentFile=/etc/kismet-es/kismet-es.env; do
			grep -qx -- "$line" "$f" || { echo "$u lacks $line"; false; }
		done
		# nothing writes outside the state directory
		! grep -E '^(ReadWritePaths|ProtectSystem=(no|yes|full)$)' "$f"
	done
	for u in kismet-es.service kismet-es-offline.service; do
		grep -qx 'Restart=on-failure' "$SYSD/$u"
		grep -qx 'KillMode=mixed' "$SYSD/$u"
		grep -q -- '--buffer-db %S/kismet-es/spool.db' "$SYSD/$u"
	done
	grep -q 'forward --buffer-db' "$SYSD/kismet-es.service"
	grep -qx 'OnCalendar=\*-\*-\* 03:00:00' "$SYSD/kismet-es-drain.timer"
	grep -qx 'Type=oneshot' "$SYSD/kismet-es-drain.service"
	# no secret in the units themselves: they come from the env file
	! grep -Ei -- '--(es-password|es-api-key|kismet-apikey)[ =]' "$SYSD"/*.service
}

# ---- the bash wrapper in the ExecStart of the two capture units -----------
# The ExecStart as systemd would run it: continuation lines joined, "$$" ->
# "$", %S -> a scratch state root, /usr/local/bin/ -> stand-ins that log.
unit_cmd() {	# unit stubdir statedir
	local cmd
	cmd=$(awk '/^ExecStart=/ { f = 1; sub(/^ExecStart=/, "") }
		f { if (sub(/\\$/, " ")) printf "%s", $0; else { print; exit } }' "$1")
	cmd=${cmd//'$$'/'$'}
	cmd=${cmd//'%S'/$3}
	cmd=${cmd//\/usr\/local\/bin\//$2/}
	echo "$cmd"
}

make_stubs() {	# dir
	mkdir -p "$1"
	cat > "$1/kismet-tap" <<-'EOF'
	#!/bin/bash
	echo "tap $*" >> "$STUB_LOG"
	[ -z "${STUB_TAP_EXIT:-}" ] || exit "$STUB_TAP_EXIT"
	trap 'echo tap-TERM >> "$STUB_LOG"; echo "{\"n\":\"last\"}"; exit 0' TERM
	echo '{"n":"first"}'
	while :; do sleep 0.05; done
	EOF
	cat > "$1/buffer-spool" <<-'EOF'
	#!/bin/bash
	# SIGTERM must not reach the spool: the wrapper stops kismet-tap only
	trap 'echo spool-TERM >> "$STUB_LOG"' TERM
	echo "spool $*" >> "$STUB_LOG"
	if [ -n "${STUB_SPOOL_EXIT:-}" ]; then
		head -n 1 > "$STUB_GOT"
		exit "$STUB_SPOOL_EXIT"
	fi
	cat > "$STUB_GOT"
	echo spool-EOF >> "$STUB_LOG"
	EOF
	chmod +x "$1/kismet-tap" "$1/buffer-spool"
}

run_unit_script() {	# unit -> sets $argv; env STUB_*
	local s
	s=$(scratch)
	make_stubs "$s/stub"
	mkdir -p "$s/state/kismet-es"
	export STUB_LOG=$s/log STUB_GOT=$s/got KES_TAP_OPTS="--update-rate 5 --events NEW_DEVICE"
	eval "argv=($(unit_cmd "$SYSD/$1" "$s/stub" "$s/state"))"
	[ "${argv[0]}" = /bin/bash ] && [ "${argv[1]}" = -c ]
}

@test "ops: unit wrapper: SIGTERM stops kismet-tap first, its last record reaches the spool, exit 0" {
	for u in kismet-es.service kismet-es-offline.service; do
		run_unit_script "$u"
		rm -f "$STUB_LOG" "$STUB_GOT"
		"${argv[@]}" &
		pid=$!
		wait_for grep -q spool "$STUB_LOG"
		wait_for grep -q tap "$STUB_LOG"
		sleep 0.3
		kill -TERM "$pid"
		rc=0
		wait "$pid" || rc=$?
		cat "$STUB_LOG"
		[ "$rc" -eq 0 ]
		# kismet-tap got the signal, the spool did not; the spool then saw EOF
		run cat "$STUB_LOG"
		[[ "$output" == *tap-TERM*spool-EOF* || "$output" == *spool*tap-TERM*spool-EOF* ]]
		[[ "$output" != *spool-TERM* ]]
		grep -qx -- 'tap --update-rate 5 --events NEW_DEVICE' "$STUB_LOG"
		# nothing lost in the pipe: the record written after SIGTERM is there
		[ "$(jq -r .n "$STUB_GOT" | paste -sd,)" = "first,last" ]
	done
	grep -q "^spool forward --buffer-db $BATS_TEST_TMPDIR/s/state/kismet-es/spool.db -- .*/es-bulk --dead-letter $BATS_TEST_TMPDIR/s/state/kismet-es/rejects.ndjson" \
		"$BATS_TEST_TMPDIR/s/log" || grep -q '^spool store --buffer-db' "$BATS_TEST_TMPDIR/s/log"
}

@test "ops: unit wrapper: a failure of either side is the unit's failure (restart on failure)" {
	run_unit_script kismet-es.service
	# kismet-tap refused (77) while buffer-spool flushes and exits 0
	rm -f "$STUB_LOG"
	STUB_TAP_EXIT=77 run timeout 20 "${argv[@]}"
	cat "$STUB_LOG"
	[ "$status" -eq 77 ]
	grep -qx spool-EOF "$STUB_LOG"
	# the spool fails (74): kismet-tap is stopped, the unit exits 74
	rm -f "$STUB_LOG"
	STUB_SPOOL_EXIT=74 run timeout 20 "${argv[@]}"
	cat "$STUB_LOG"
	[ "$status" -eq 74 ]
	grep -qx tap-TERM "$STUB_LOG"
	# the restart policy does not loop on what a restart cannot fix
	grep -qx 'RestartPreventExitStatus=64 78' "$SYSD/kismet-es.service"
}

@test "ops: kismet-es.env sets every variable the units and cron scripts read, secrets empty" {
	env=$SYSD/kismet-es.env
	used=$(cat "$SYSD"/*.service "$CRON"/kismet-es-* | grep -oE '\$\{?\$?\{?(KES|KISMET|ES)_[A-Z_]+' |
		grep -oE '(KES|KISMET|ES)_[A-Z_]+' | sort -u |
		grep -vxE 'KES_(TAP|BULK|SPOOL|LOCK_DIR|ENV_FILE|DEAD_LETTER)')
	echo "$used"
	[ -n "$used" ]
	for v in $used; do
		grep -qE "^#?$v=" "$env" || { echo "$v not in kismet-es.env"; false; }
	done
	for v in KISMET_APIKEY ES_API_KEY ES_HOSTS KISMET_HOST; do grep -qE "^$v=" "$env"; done
	grep -qx 'KISMET_APIKEY=' "$env"
	grep -qx 'ES_API_KEY=' "$env"
	grep -q 'mode 0600' "$env"
	# the same file is valid for sh (the cron scripts source it)
	run bash -c "set -a; . '$env'; echo \"\$KES_TAP_OPTS|\$KES_RETENTION_DAYS\""
	[ "$status" -eq 0 ]
	[[ "$output" == "--update-rate 5"*"|7" ]]
}

# ---- cron -------------------------------------------------------------------
cron_env() {	# dir -> writes $1/env (0600) and stubs, exports hooks
	local d=$1
	mkdir -p "$d/lock"
	cat > "$d/env" <<-EOF
	KISMET_APIKEY=s3cret-kismet
	ES_HOSTS=http://127.0.0.1:9
	ES_API_KEY=s3cret-es
	KES_TAP_OPTS="--update-rate 5"
	KES_BULK_OPTS="--index-prefix ops"
	KES_SNAPSHOT_SINCE=420
	KES_BUFFER_DB=$d/spool.db
	KES_RETENTION_DAYS=9
	EOF
	chmod 600 "$d/env"
	export KES_LOCK_DIR=$d/lock
}

# a stand-in that logs its argv and the secret it received by environment,
# sleeps $STUB_SLEEP, prints a record and exits $STUB_EXIT_<name>
make_cron_stub() {	# path name
	cat > "$1" <<-EOF
	#!/bin/bash
	echo "$2 \$* key=\${KISMET_APIKEY:-}\${ES_API_KEY:+/es}" >> "\$STUB_LOG"
	[ "$2" = bulk ] && cat > /dev/null
	sleep "\${STUB_SLEEP:-0}"
	[ "$2" = tap ] && echo '{"n":1}'
	code=\${STUB_EXIT_$2:-0}
	[ "$2" = spool ] && [ "\$1" = purge ] && code=\${STUB_EXIT_purge:-0}
	exit \$code
	EOF
	chmod +x "$1"
}

@test "cron: a second snapshot exits 75 at once while the first holds the lock, the next one runs" {
	d=$(scratch)
	cron_env "$d"
	make_cron_stub "$d/tap" tap
	make_cron_stub "$d/bulk" bulk
	export KES_TAP=$d/tap KES_BULK=$d/bulk STUB_LOG=$d/log
	STUB_SLEEP=3 "$CRON/kismet-es-snapshot" "$d/env" 2> "$d/first.err" &
	first=$!
	wait_for grep -q '^tap' "$d/log"
	t0=$(date +%s%N)
	run "$CRON/kismet-es-snapshot" "$d/env"
	t1=$(date +%s%N)
	echo "$output"
	[ "$status" -eq 75 ]
	[[ "$output" == *"still running; skipped"* ]]
	[ $(( (t1 - t0) / 1000000 )) -lt 1500 ]	# at once, not after the first
	kill -0 "$first"			# the first is still running
	rc=0
	wait "$first" || rc=$?
	[ "$rc" -eq 0 ]
	[ "$(grep -c '^tap' "$d/log")" -eq 1 ]	# the second run started nothing
	run "$CRON/kismet-es-snapshot" "$d/env"
	[ "$status" -eq 0 ]
	[ "$(grep -c '^tap' "$d/log")" -eq 2 ]
	# the options and the secrets: options from the env file, secrets by environment
	grep -qx 'tap --once --since 420 --update-rate 5 key=s3cret-kismet/es' "$d/log"
	grep -qx 'bulk --index-prefix ops key=s3cret-kismet/es' "$d/log"
}

@test "cron: a second drain exits 75 at once while the first holds the lock" {
	d=$(scratch)
	cron_env "$d"
	make_cron_stub "$d/spool" spool
	make_cron_stub "$d/bulk" bulk
	export KES_SPOOL=$d/spool KES_BULK=$d/bulk STUB_LOG=$d/log
	STUB_SLEEP=3 "$CRON/kismet-es-drain" "$d/env" &
	first=$!
	wait_for grep -q '^spool drain' "$d/log"
	run "$CRON/kismet-es-drain" "$d/env"
	[ "$status" -eq 75 ]
	[[ "$output" == *"previous drain is still running"* ]]
	kill -0 "$first"
	rc=0
	wait "$first" || rc=$?
	[ "$rc" -eq 0 ]
	cat "$d/log"
	grep -qx "spool drain --buffer-db $d/spool.db -- $d/bulk --max-retries 8 --dead-letter $d/rejects.ndjson --index-prefix ops key=s3cret-kismet/es" "$d/log"
	grep -qx "spool purge --buffer-db $d/spool.db --older-than 9 key=s3cret-kismet/es" "$d/log"
	[ "$(grep -c '^spool drain' "$d/log")" -eq 1 ]
}

@test "cron: the pipelines propagate failure (pipefail), a failed drain purges nothing" {
	d=$(scratch)
	cron_env "$d"
	for n in tap bulk spool; do make_cron_stub "$d/$n" "$n"; done
	export KES_TAP=$d/tap KES_BULK=$d/bulk KES_SPOOL=$d/spool STUB_LOG=$d/log
	# Kismet unreachable: kismet-tap 69, es-bulk 0 -> 69
	STUB_EXIT_tap=69 run "$CRON/kismet-es-snapshot" "$d/env"
	[ "$status" -eq 69 ]
	# es-bulk dead-lettered lines -> 65
	STUB_EXIT_bulk=65 run "$CRON/kismet-es-snapshot" "$d/env"
	[ "$status" -eq 65 ]
	STUB_EXIT_tap=0 STUB_EXIT_bulk=0 run "$CRON/kismet-es-snapshot" "$d/env"
	[ "$status" -eq 0 ]
	# drain fails (the stand-in exits 69): no purge
	: > "$d/log"
	STUB_EXIT_spool=69 run "$CRON/kismet-es-drain" "$d/env"
	[ "$status" -eq 69 ]
	! grep -q '^spool purge' "$d/log"
	# purge failing is the script's failure too
	STUB_EXIT_purge=74 run "$CRON/kismet-es-drain" "$d/env"
	[ "$status" -eq 74 ]
	# an unreadable env file: 78, nothing run
	: > "$d/log"
	run "$CRON/kismet-es-snapshot" "$d/missing.env"
	[ "$status" -eq 78 ]
	run "$CRON/kismet-es-drain" "$d/missing.env"
	[ "$status" -eq 78 ]
	[ ! -s "$d/log" ]
	# an env file others can read: a warning, and the run still happens
	chmod 644 "$d/env"
	run "$CRON/kismet-es-snapshot" "$d/env"
	[ "$status" -eq 0 ]
	[[ "$output" == *"readable by others"* ]]
}

@test "cron: the real tools through the drain script: a spool drained into a dead cluster is kept" {
	# real buffer-spool and es-bulk; the cluster is a closed port, so the
	# drain must fail and the spool keep every record (no node needed)
	d=$(scratch)
	cron_env "$d"
	export STUB_LOG=$d/log
	printf '{"timestamp":"2025-01-21T16:30:45.123Z","record_type":"device","mac_addr":"aa:bb:cc:dd:ee:0%d"}\n' 1 2 3 |
		buffer-spool store --buffer-db "$d/spool.db"
	sed -i 's/^KES_BULK_OPTS=.*/KES_BULK_OPTS="--index-prefix ops --connect-timeout 1 --max-retries 1"/' "$d/env"
	echo 'KES_SPOOL_OPTS="--max-restarts 1 --restart-delay 0.1"' >> "$d/env"
	run timeout 120 "$CRON/kismet-es-drain" "$d/env"
	echo "$output"
	# buffer-spool drain gives up with 75 (work pending: run again)
	[ "$status" -eq 75 ]
	[[ "$output" == *"records not acked stay in the spool"* ]]
	[ "$(sqlite3 "$d/spool.db" 'SELECT COUNT(*) FROM device_buffer WHERE synced=0')" -eq 3 ]
}

# ---- man pages --------------------------------------------------------------
@test "man: every man/*.1 and man/*.7 page is mandoc -Tlint -W warning clean" {
	n=0
	for m in "$KES_TOP"/man/*.[17]; do
		run mandoc -Tlint -W warning "$m"
		echo "$m: $output"
		[ "$status" -eq 0 ]
		[ -z "$output" ]
		n=$((n + 1))
	done
	[ "$n" -ge 1 ]
	[ -f "$KES_TOP/man/kismet-es.7" ]
}

@test "man: kismet-es(7) lists every exit status of lib/exitcodes.h, every record field, the spool tables" {
	m=$KES_TOP/man/kismet-es.7
	txt=$(mandoc -Tascii "$m" | sed 's/.\x08//g')
	while read -r name val; do
		grep -qE "^\.It [^ ]*$val( |$)" "$m" || { echo "exit $val ($name) missing"; false; }
	done < <(sed -nE 's/^#define (KES_EXIT_[A-Z]+) +([0-9]+).*/\1 \2/p' "$KES_TOP/lib/exitcodes.h")
	for f in timestamp mac_addr name username phy_type manufacturer first_seen last_seen channel \
	    frequency total_packets tx_packets rx_packets data_size signal_dbm noise_dbm snr_db location \
	    latitude longitude altitude record_type sensor device_key device_type event_type device_mac \
	    event_data; do
		grep -qE "^\.It Va $f( |$)" "$m" || { echo "field $f missing"; false; }
	done
	for w in device_buffer event_buffer synced created_at kismet-devices-YYYY.MM kismet-events-YYYY.MM \
	    kismet-tap buffer-spool es-bulk; do
		[[ "$txt" == *"$w"* ]] || { echo "$w missing"; false; }
	done
	# SEE ALSO names the three tools
	sed -n '/^\.Sh SEE ALSO/,$p' "$m" | grep -q '^\.Xr kismet-tap 1'
	sed -n '/^\.Sh SEE ALSO/,$p' "$m" | grep -q '^\.Xr buffer-spool 1'
	sed -n '/^\.Sh SEE ALSO/,$p' "$m" | grep -q '^\.Xr es-bulk 1'
}

# ---- Kibana saved objects (no Kibana here: structure only; the fields and
# types against a real node are in tests/kibana.bats) ------------------------
@test "kibana: the saved objects file is importable NDJSON: ids, references, states, data views" {
	f=$KES_TOP/scripts/kibana/kismet-es.ndjson
	# one object per line, each with id, type, attributes, references
	[ "$(jq -c 'select((.id | type) == "string" and (.type | type) == "string" and
		(.attributes | type) == "object" and (.references | type) == "array")' "$f" | wc -l)" -eq "$(wc -l < "$f")" ]
	# ids are unique; every reference points at an object of the file, of its type
	[ -z "$(jq -r '.id' "$f" | sort | uniq -d)" ]
	run jq -rs '(map({key: (.type + "/" + .id), value: 1}) | from_entries) as $have |
		.[] | .references[] | select($have[.type + "/" + .id] | not) | "\(.type)/\(.id)"' "$f"
	[ "$status" -eq 0 ] && [ -z "$output" ]
	# every JSON-in-a-string state parses, every indexRefName/panelRefName/indexPatternRefName
	# names a reference of its object
	run jq -r '. as $o | [.references[].name] as $refs |
		[.attributes | .. | strings | select(test("^\\s*[\\[{]")) | fromjson] |
		[.. | objects | (.indexRefName, .panelRefName, .indexPatternRefName) | strings] |
		.[] | select(. as $n | $refs | index($n) | not) | "\($o.id): \(.)"' "$f"
	echo "$output"
	[ "$status" -eq 0 ] && [ -z "$output" ]
	# the two data views of the guide and the sightings', time field timestamp
	[ "$(jq -rc 'select(.type == "index-pattern") | [.attributes.title, .attributes.timeFieldName]' "$f" | sort | paste -sd' ')" = \
	  '["kismet-devices-*","timestamp"] ["kismet-events-*","timestamp"] ["kismet-sightings-*","timestamp"]' ]
	# the guide's panels: unique devices, manufacturer pie, signal timeline, map, new devices
	vs=$(jq -r 'select(.type == "visualization") | .attributes.visState | fromjson |
		"\(.type) \([.aggs[] | "\(.type):\(.params.field // "")"] | join(","))"' "$f")
	echo "$vs"
	grep -qx 'metric cardinality:mac_addr' <<<"$vs"
	grep -qx 'pie cardinality:mac_addr,terms:manufacturer' <<<"$vs"
	grep -qx 'line avg:signal_dbm,date_histogram:timestamp' <<<"$vs"
	jq -se 'map(select(.type == "map"))[0] | .attributes.layerListJSON | fromjson | any(.sourceDescriptor.geoField == "location")' "$f"
	jq -se 'map(select(.type == "search"))[0] | .attributes.kibanaSavedObjectMeta.searchSourceJSON | fromjson |
		.query.query == "event_type : \"NEW_DEVICE\""' "$f"
	# the sightings map (a document layer coloured by signal) and the device track search
	jq -se 'map(select(.id == "kismet-es-sightings-map"))[0] | .attributes.layerListJSON | fromjson |
		any(.sourceDescriptor.geoField == "location" and .sourceDescriptor.sortField == "timestamp"
		and .style.properties.fillColor.options.field.name == "signal_dbm")' "$f"
	jq -se 'map(select(.id == "kismet-es-device-track"))[0] | (.attributes.sort == [["timestamp", "asc"]])
		and (.attributes.kibanaSavedObjectMeta.searchSourceJSON | fromjson | .query.query |
		test("^mac_addr : \"[0-9a-f:]{17}\"$"))' "$f"
	# the dashboards (the guide's, the sightings') hold every visualization, map and search
	[ "$(jq -r 'select(.type == "dashboard") | .references[] | .type + "/" + .id' "$f" | sort | paste -sd' ')" = \
	  "$(jq -r 'select(.type == "visualization" or .type == "map" or .type == "search") | .type + "/" + .id' "$f" | sort | paste -sd' ')" ]
}

@test "kibana: the import script's usage errors and an unreachable Kibana" {
	imp=$KES_TOP/scripts/kibana/import
	run env -u KIBANA_URL "$imp"
	[ "$status" -eq 64 ]
	[[ "$output" == *KIBANA_URL* ]]
	KIBANA_URL=http://127.0.0.1:9 run "$imp" /nonexistent.ndjson
	[ "$status" -eq 66 ]
	# a closed port: 69, and the API key is not in the message
	KIBANA_URL=http://127.0.0.1:9 KIBANA_API_KEY=s3cret-kibana run "$imp"
	echo "$output"
	[ "$status" -eq 69 ]
	[[ "$output" != *s3cret-kibana* ]]
	grep -q "_import?overwrite=true" "$imp"
	grep -q "kbn-xsrf: true" "$imp"
}
