#!/usr/bin/env bats
# tests/hardening.bats - hardening checks across the tools: the valgrind pipeline
# (scripts/valgrind-pipeline), the fuzzers' regression inputs (tests/fuzz/regress/:
# every input that once crashed a harness must now pass), and secrets: a distinctive
# password / API key given through the environment and through files never appears in
# stdout, stderr (at -v -v, stats lines included), the dead-letter file or the spool,
# whatever way the run fails (unreachable host, 401, bad input).

load lib/common
bats_require_minimum_version 1.5.0

KR=$KES_TOP/tests/kismet-replay/kismet-replay
DB=$KES_DATA/kismet/kismetdb/field-sample.kismet
NOW_FINAL=1795704347
# distinctive secrets (Kismet keys are letters and digits)
SECRET_KEY=KesSecretApiKeyQ7x3Z9pW2m
SECRET_PW='kes-Secret-PW-5d8f-Rt71'
SECRET_ESKEY='S2VzU2VjcmV0RXNBcGlLZXk6ZDRmOXc='

teardown() {
	if [ -n "${KR_PID:-}" ]; then kill "$KR_PID" 2>/dev/null || true; wait "$KR_PID" 2>/dev/null || true; fi
}

# start_replay DIR [options]: the Kismet replay server on a free port; sets KR_PID KR_PORT
start_replay() {
	local d=$1
	shift
	rm -f "$d/port"
	"$KR" --port 0 --port-file "$d/port" --apikey "$SECRET_KEY" --start-time $NOW_FINAL --freeze \
		"$@" 2>>"$d/replay.err" &
	KR_PID=$!
	wait_for test -s "$d/port"
	KR_PORT=$(cat "$d/port")
}

# a TCP port on 127.0.0.1 with nobody listening
closed_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# no_secret DIR: none of the secrets in any file of DIR (but the secret files)
no_secret() {
	local hits
	local b1 b2
	# also as sent in an Authorization: Basic header
	b1=$(printf 'elastic:%s' "$SECRET_PW" | base64 -w0 | tr -d =)
	b2=$(printf 'kes:%s' "$SECRET_PW" | base64 -w0 | tr -d =)
	hits=$(grep -r -l -a -F -e "$SECRET_KEY" -e "$SECRET_PW" -e "$SECRET_ESKEY" -e "$b1" -e "$b2" \
		--exclude='*.secret' --exclude='replay.err' "$1" || true)
	if [ -n "$hits" ]; then
		echo "secret found in: $hits"
		grep -r -n -a -F -e "$SECRET_KEY" -e "$SECRET_PW" -e "$SECRET_ESKEY" -e "$b1" -e "$b2" $hits | head
		return 1
	fi
}

@test "hardening: the pipeline under valgrind has no leak and no invalid access" {
	run scripts_valgrind
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"all 7 steps clean"* ]]
}

scripts_valgrind() { "$KES_TOP/scripts/valgrind-pipeline" "$KES_BIN_DIR" 2>&1; }

@test "hardening: every fuzzer regression input passes its harness" {
	inc=()
	grep -q 'tests/fuzz/module.mk' "$KES_TOP/Makefile" || inc=(-f Makefile -f tests/fuzz/module.mk)
	targets=$(ls "$KES_TOP"/tests/fuzz/regress/ | sed 's/-.*//' | sort -u)
	[ -n "$targets" ]
	make -s -C "$KES_TOP" "${inc[@]}" fuzz-build FUZZ_TARGETS="$(echo $targets)" >/dev/null
	for t in $targets; do
		for f in "$KES_TOP"/tests/fuzz/regress/"$t"-*; do
			echo "# $t: $f"
			run "$KES_TOP/build/fuzz/fuzz-$t" -close_fd_mask=1 "$f"
			echo "$output" | tail -n 20
			[ "$status" -eq 0 ]
		done
	done
}

@test "secrets: kismet-tap -v -v: API key and password (env and file) never in any output" {
	d=$(scratch)
	printf '%s\n' "$SECRET_KEY" >"$d/key.secret"
	printf '%s\n' "$SECRET_PW" >"$d/pw.secret"
	chmod 600 "$d"/*.secret
	down=$(closed_port)
	start_replay "$d" --fault-401
	# unreachable host, key from the environment
	KISMET_APIKEY=$SECRET_KEY kismet-tap -v -v --once --kismet-port "$down" >"$d/o1" 2>"$d/e1" || echo $? >"$d/rc1"
	# unreachable host, key from a file
	kismet-tap -v -v --once --kismet-port "$down" --kismet-apikey-file "$d/key.secret" >"$d/o2" 2>"$d/e2" || echo $? >"$d/rc2"
	# 401, key from the environment and from a file; basic auth with the password both ways
	KISMET_APIKEY=$SECRET_KEY kismet-tap -v -v --once --kismet-port "$KR_PORT" >"$d/o3" 2>"$d/e3" || echo $? >"$d/rc3"
	kismet-tap -v -v --once --kismet-port "$KR_PORT" --kismet-apikey-file "$d/key.secret" >"$d/o4" 2>"$d/e4" || echo $? >"$d/rc4"
	KISMET_PASSWORD=$SECRET_PW kismet-tap -v -v --once --kismet-port "$KR_PORT" --kismet-username kes >"$d/o5" 2>"$d/e5" || echo $? >"$d/rc5"
	kismet-tap -v -v --once --kismet-port "$KR_PORT" --kismet-username kes --kismet-password-file "$d/pw.secret" >"$d/o6" 2>"$d/e6" || echo $? >"$d/rc6"
	# the live loop against a 401 server, stopped after a moment (stats line at exit)
	KISMET_APIKEY=$SECRET_KEY timeout -s TERM 3 kismet-tap -v -v --kismet-port "$KR_PORT" --update-rate 0.2 >"$d/o7" 2>"$d/e7" || true
	# every run failed, and said something at -v -v
	for i in 1 2 3 4 5 6; do [ -s "$d/rc$i" ] && [ "$(cat "$d/rc$i")" -ne 0 ]; [ -s "$d/e$i" ]; done
	for i in 1 2; do [ "$(cat "$d/rc$i")" -eq 69 ]; done
	for i in 3 4 5 6; do [ "$(cat "$d/rc$i")" -eq 77 ]; done
	grep -q '"kismet-tap":"stats"' "$d/e7"
	no_secret "$d"
}

@test "secrets: es-bulk -v -v: password and API key (env and file) never in any output, dead letters included" {
	d=$(scratch)
	printf '%s\n' "$SECRET_PW" >"$d/pw.secret"
	printf '%s\n' "$SECRET_ESKEY" >"$d/eskey.secret"
	chmod 600 "$d"/*.secret
	down=$(closed_port)
	start_replay "$d" --fault-401
	kismet-tap --kismetdb "$DB" 2>/dev/null | head -n 20 >"$d/in.ndjson"
	printf 'not json at all\n{"record_type":"device","timestamp":"nonsense"}\n' >>"$d/in.ndjson"
	n=0
	for target in "http://127.0.0.1:$down" "http://127.0.0.1:$KR_PORT"; do
		[ "$target" = "http://127.0.0.1:$down" ] && want=69 || want=77
		for auth in env-pw file-pw env-key file-key; do
			n=$((n + 1))
			args=(-v -v --es-hosts "$target" --max-retries 0 --timeout 5 --connect-timeout 2
				--dead-letter "$d/dead$n.ndjson")
			case $auth in
			env-pw)   ES_PASSWORD=$SECRET_PW es-bulk "${args[@]}" --es-username elastic <"$d/in.ndjson" >"$d/o$n" 2>"$d/e$n" || echo $? >"$d/rc$n" ;;
			file-pw)  es-bulk "${args[@]}" --es-username elastic --es-password-file "$d/pw.secret" <"$d/in.ndjson" >"$d/o$n" 2>"$d/e$n" || echo $? >"$d/rc$n" ;;
			env-key)  ES_API_KEY=$SECRET_ESKEY es-bulk "${args[@]}" <"$d/in.ndjson" >"$d/o$n" 2>"$d/e$n" || echo $? >"$d/rc$n" ;;
			file-key) es-bulk "${args[@]}" --es-api-key-file "$d/eskey.secret" <"$d/in.ndjson" >"$d/o$n" 2>"$d/e$n" || echo $? >"$d/rc$n" ;;
			esac
			echo "# $target $auth: exit $(cat "$d/rc$n" 2>/dev/null): $(grep -v '^{' "$d/e$n" | tail -n 1)" >&3
			[ "$(cat "$d/rc$n")" -eq "$want" ]
			[ -s "$d/e$n" ]
		done
	done
	# a usage error with both secrets at hand (password and API key together)
	ES_PASSWORD=$SECRET_PW ES_API_KEY=$SECRET_ESKEY es-bulk -v -v --es-username elastic \
		--es-hosts "http://127.0.0.1:$down" <"$d/in.ndjson" >"$d/o-usage" 2>"$d/e-usage" || echo $? >"$d/rc-usage"
	[ "$(cat "$d/rc-usage")" -ne 0 ]
	# --dry-run with bad lines: the dead-letter file exists and holds them
	ES_PASSWORD=$SECRET_PW es-bulk -v -v --dry-run --es-username elastic \
		--dead-letter "$d/dead-dry.ndjson" <"$d/in.ndjson" >"$d/o-dry" 2>"$d/e-dry" || echo $? >"$d/rc-dry"
	[ "$(cat "$d/rc-dry")" -eq 65 ]
	ES_API_KEY=$SECRET_ESKEY es-bulk -v -v --dry-run \
		--dead-letter "$d/dead-dry2.ndjson" <"$d/in.ndjson" >"$d/o-dry2" 2>"$d/e-dry2" || echo $? >"$d/rc-dry2"
	[ "$(cat "$d/rc-dry2")" -eq 65 ]
	[ -s "$d/dead-dry.ndjson" ]
	grep -q 'not json at all' "$d/dead-dry.ndjson"
	grep -q '"es-bulk":"final"' "$d/e-dry"
	no_secret "$d"
}

@test "secrets: buffer-spool drain of es-bulk against a 401 server, -v -v: no secret anywhere, spool included" {
	d=$(scratch)
	printf '%s\n' "$SECRET_PW" >"$d/pw.secret"
	chmod 600 "$d"/*.secret
	start_replay "$d" --fault-401
	kismet-tap --kismetdb "$DB" 2>/dev/null | head -n 20 >"$d/in.ndjson"
	buffer-spool store -v -v --buffer-db "$d/spool.db" <"$d/in.ndjson" 2>"$d/e-store"
	ES_API_KEY=$SECRET_ESKEY run --separate-stderr timeout 60 buffer-spool drain -v -v --buffer-db "$d/spool.db" \
		--max-restarts 1 --restart-delay 0.1 -- \
		es-bulk -v -v --es-hosts "http://127.0.0.1:$KR_PORT" --max-retries 0 --es-username elastic \
		--es-password-file "$d/pw.secret" --dead-letter "$d/dead.ndjson"
	printf '%s\n' "$output" >"$d/o-drain"
	printf '%s\n' "$stderr" >"$d/e-drain"
	[ "$status" -ne 0 ]
	[ "$status" -ne 124 ]
	[ -s "$d/e-drain" ]
	buffer-spool status -v -v --json --buffer-db "$d/spool.db" >"$d/status.json" 2>"$d/e-status" || true
	jq -e . "$d/status.json" >/dev/null
	no_secret "$d"
}
