#!/usr/bin/env bats
# tests/bad-input-node.bats - the bad-input matrix of the hardening issue, the
# part that needs a real search node: a mix of bad lines loaded for real (what
# is accepted is indexed, the rest dead-lettered, counts and acks conserved), a
# node behind nginx that answers 413 (small client_max_body_size), and broken
# _bulk responses.  The broken responses come from a FAULT-INJECTING PROXY:
# nginx in front of the real node, answering only `POST /_bulk` itself with a
# malformed body; every other request (GET /, the index template, searches)
# passes through to the real node.  It is not a fake server: nothing the tools
# rely on besides the injected fault is emulated.
# kes: needs-node
# kes: default-flavours opensearch
# (es-bulk's own handling of bad lines and broken answers, mostly through
# nginx: one engine in `make test`; CI's ASan pass runs it on Elasticsearch
# 8; see README's Tests section)
load lib/common
load lib/node
load lib/proxy

bats_require_minimum_version 1.5.0

BI=$KES_DATA/bad-input
SAMPLE=$KES_DATA/es-bulk/kismet-sample.ndjson

setup_file() { node_start_for_suite; }
teardown_file() { node_stop_for_suite; }
teardown() {
	if [ -n "${NGINX_PID:-}" ]; then kill "$NGINX_PID" 2>/dev/null || true; wait "$NGINX_PID" 2>/dev/null || true; fi
	es_delete_prefix "$(test_prefix)" || true
}

no_crash() {
	[ "$1" -lt 128 ] || { echo "crashed: status $1"; return 1; }
	if grep -qE 'AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:|Segmentation fault|core dumped' <<<"$2"; then
		echo "sanitizer/crash report in stderr"
		return 1
	fi
}
diag() { grep -v '^{"' <<<"$1" || true; }
esb_final() { grep '^{"es-bulk":"final"' <<<"$1"; }
conserved() {
	esb_final "$1" | jq -e '.read == .indexed + .dead_lettered + .pending and .lines == .read + .empty'
}

# proxy LOCATIONS : nginx on a free port in front of the node, with extra
# server-level directives / location blocks LOCATIONS before the pass-through
# `location /`; sets NGINX_PID and PROXY_URL
proxy() {
	node_proxy "$BATS_TEST_TMPDIR/nginx" "$1"
}

# fault_bulk BODY : the fault-injecting proxy: POST /_bulk answered 200 BODY
fault_bulk() {
	proxy "location = /_bulk { default_type application/json; return 200 '$1'; }"
}

@test "es-bulk -> node: a mix of bad lines: the good ones indexed, the bad ones dead-lettered by number, acks reach the end" {
	local p d=$BATS_TEST_TMPDIR
	p=$(test_prefix)
	{
		head -n 5 "$SAMPLE"
		printf '{"record_type":"device","timestamp":"2025-01-05T00:00:00Z","big":"'
		head -c 100000000 /dev/zero | tr '\0' x
		echo '"}'
		printf '{"record_type":"device","timestamp":"2025-01-05T00:00:00Z","name":"\xc3\n'
		cat "$BI/shapes.ndjson" "$BI/numbers.ndjson"
		python3 -c 'print("[" * 100000 + "]" * 100000)'
		echo
		head -c 65536 /dev/urandom | tr -d '\n' | head -c 60000
		echo
		sed -n 6,10p "$SAMPLE"
	} >"$d/in"
	run --separate-stderr es-bulk --es-hosts "$(node_url)" --index-prefix "$p" --max-retries 3 \
		--dead-letter "$d/dl" --acks 9 "$d/in" 9>"$d/acks"
	diag "$stderr"
	no_crash "$status" "$stderr"
	[ "$status" -eq 65 ]
	conserved "$stderr"
	esb_final "$stderr" | jq -e '.pending == 0'
	# what es-bulk says it indexed is what the node holds
	[ "$(es_count "$p-*")" -eq "$(esb_final "$stderr" | jq .indexed)" ]
	[ "$(tail -n 1 "$d/acks")" -eq "$(wc -l <"$d/in")" ]
	# one record per rejected line, each with its line number; each line once
	[ "$(wc -l <"$d/dl")" -eq "$(esb_final "$stderr" | jq .dead_lettered)" ]
	[ "$(jq .lineno "$d/dl" | sort -n | uniq -d | wc -l)" -eq 0 ]
	# lines 6 (100 MB), 7 (cut UTF-8), 8-12 and 14 (not objects), 16 19 20 (1e400),
	# 24 (deep), 26 (binary) are rejected here; 18 21 23 (2^64, -2^63-1) by the node
	[ "$(jq .lineno "$d/dl" | sort -n | paste -sd ' ')" = "6 7 8 9 10 11 12 14 16 18 19 20 21 23 24 26" ]
	# every line the server refused has its status and reason
	jq -s -e 'map(select(.status != null)) | length == 3 and all(.status == 400 and (.reason | length) > 0)' "$d/dl"
	# the 10 sample lines, the 2 objects of shapes.ndjson, lines 17 and 22 (-0) are in the index
	[ "$(es_count "$p-*")" -eq 14 ]
	# every diagnostic is one line starting with the program name (server reasons
	# can hold newlines)
	[ "$(diag "$stderr" | grep -vc '^es-bulk: ')" -eq 0 ]
}

@test "es-bulk -> nginx 413 (client_max_body_size 8k): split until accepted; a single too-large document dead-lettered; conserved" {
	local p d=$BATS_TEST_TMPDIR n
	p=$(test_prefix)
	proxy "client_max_body_size 8k;"
	{
		head -n 30 "$SAMPLE"
		printf '{"timestamp":"2025-01-09T00:00:00Z","record_type":"device","name":"%s"}\n' \
			"$(head -c 20000 /dev/zero | tr '\0' n)"
		sed -n 31,60p "$SAMPLE"
	} >"$d/in"
	n=$(grep -c . "$d/in")
	run --separate-stderr es-bulk --es-hosts "$PROXY_URL" --index-prefix "$p" --no-gzip \
		--max-retries 3 --dead-letter "$d/dl" --acks 9 "$d/in" 9>"$d/acks"
	diag "$stderr" | tail -n 5
	no_crash "$status" "$stderr"
	[ "$status" -eq 65 ]
	conserved "$stderr"
	esb_final "$stderr" | jq -e --argjson n "$n" '.read == $n and .dead_lettered == 1 and .pending == 0'
	[ "$(es_count "$p-*")" -eq $((n - 1)) ]
	[ "$(jq -r '"\(.lineno) \(.status) \(.error)"' "$d/dl")" = "31 413 request_too_large" ]
	[ "$(tail -n 1 "$d/acks")" -eq "$n" ]
}

@test "es-bulk -> fault proxy: a _bulk answer without items ({\"errors\":false}) is not taken as indexed" {
	local p d=$BATS_TEST_TMPDIR
	p=$(test_prefix)
	fault_bulk '{"took":1,"errors":false}'
	head -n 5 "$SAMPLE" >"$d/in"
	run --separate-stderr timeout -s TERM 20 es-bulk --es-hosts "$PROXY_URL" --index-prefix "$p" \
		--max-retries 2 --dead-letter "$d/dl" --acks 9 "$d/in" 9>"$d/acks"
	diag "$stderr"
	no_crash "$status" "$stderr"
	# nothing reached the node: nothing may be counted indexed or acknowledged
	[ "$(es_count "$p-*")" -eq 0 ]
	esb_final "$stderr" | jq -e '.indexed == 0'
	[ ! -s "$d/acks" ] || [ "$(tail -n 1 "$d/acks")" -eq 0 ]
	[ "$status" -eq 69 ]
	conserved "$stderr"
	[ "$(diag "$stderr" | grep -c '^es-bulk: .*giving up')" -eq 1 ]
}

@test "es-bulk -> fault proxy: a _bulk answer whose items do not match the documents is not taken as indexed" {
	local p d=$BATS_TEST_TMPDIR body
	p=$(test_prefix)
	head -n 5 "$SAMPLE" >"$d/in"
	for body in '{"took":1,"errors":false,"items":[{"index":{"_id":"x","status":201}}]}' \
		'{"took":1,"errors":false,"items":[1,2,3,4,5]}'; do
		fault_bulk "$body"
		run --separate-stderr timeout -s TERM 20 es-bulk --es-hosts "$PROXY_URL" --index-prefix "$p" \
			--max-retries 2 --dead-letter "$d/dl" --acks 9 "$d/in" 9>"$d/acks"
		echo "$body -> $status"
		diag "$stderr"
		no_crash "$status" "$stderr"
		[ "$(es_count "$p-*")" -eq 0 ]
		esb_final "$stderr" | jq -e '.indexed == 0'
		[ ! -s "$d/acks" ] || [ "$(tail -n 1 "$d/acks")" -eq 0 ]
		[ "$status" -eq 69 ]
		kill "$NGINX_PID"; wait "$NGINX_PID" || true; NGINX_PID=
	done
}

@test "es-bulk -> fault proxy: an unreadable _bulk answer (HTML, cut JSON): retried, --max-retries honoured (69), nothing acked" {
	local p d=$BATS_TEST_TMPDIR body
	p=$(test_prefix)
	head -n 5 "$SAMPLE" >"$d/in"
	for body in '<html><body>maintenance</body></html>' '{"took":1,"errors":false,"items":['; do
		fault_bulk "$body"
		SECONDS=0
		run --separate-stderr timeout -s TERM 15 es-bulk --es-hosts "$PROXY_URL" --index-prefix "$p" \
			--max-retries 2 --dead-letter "$d/dl" --acks 9 "$d/in" 9>"$d/acks"
		echo "$body -> $status in $SECONDS s"
		diag "$stderr"
		no_crash "$status" "$stderr"
		[ "$(es_count "$p-*")" -eq 0 ]
		esb_final "$stderr" | jq -e '.indexed == 0 and .pending == 5'
		[ ! -s "$d/acks" ]
		[ "$(diag "$stderr" | grep -c 'unreadable bulk response')" -ge 1 ]
		[ "$status" -eq 69 ]
		[ "$(diag "$stderr" | grep -c '^es-bulk: .*giving up')" -eq 1 ]
		kill "$NGINX_PID"; wait "$NGINX_PID" || true; NGINX_PID=
	done
}
