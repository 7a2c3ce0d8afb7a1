#!/usr/bin/env bats
# es-bulk-faults.bats - es-bulk against faults a real node (or a real nginx in
# front of it) produces at the level of whole requests: a read-only cluster
# (403 cluster_block_exception for the template and for _bulk itself), and
# requests refused with 429 and 503 by a rate-limiting nginx, and a sensor
# whose credentials have no cluster privilege (403 for GET / and the index
# template: the least-privilege split of kismet-es(7)).  Nothing may be
# dropped, nothing indexed twice, and es-bulk must end 0.
# kes: needs-node
load lib/common
load lib/node
load lib/proxy

bats_require_minimum_version 1.5.0

SAMPLE=$KES_DATA/es-bulk/kismet-sample.ndjson

setup_file() { node_start_for_suite; }
teardown_file() { node_stop_for_suite; }
teardown() {
	[ -n "${NGINX_PID:-}" ] && kill "$NGINX_PID" 2>/dev/null
	read_only null
	es_delete_prefix "$(test_prefix)" || true
	curl -sS -o /dev/null -X DELETE "$(node_url)/_index_template/es-bulk-$(test_prefix)" || true
}

# read_only true|null : the cluster-wide write block (cluster.blocks.read_only)
read_only() {
	curl -sS --fail-with-body -o /dev/null -X PUT -H 'Content-Type: application/json' \
		"$(node_url)/_cluster/settings" \
		--data-binary "{\"persistent\":{\"cluster.blocks.read_only\":$1}}"
}
final_stats() { grep '^{"es-bulk":"final"'; }

@test "es-bulk: a read-only cluster (403 cluster_block_exception on the template PUT and on _bulk) is waited out; nothing dropped" {
	local p d=$BATS_TEST_TMPDIR pid rc=0 n
	p=$(test_prefix)
	n=$(grep -c . "$SAMPLE")
	# the real node answers the whole request 403 while the block is on
	read_only true
	code=$(printf '{"index":{"_index":"%s-x"}}\n{"a":1}\n' "$p" | curl -s -o "$d/resp" -w '%{http_code}' \
		-H 'Content-Type: application/x-ndjson' --data-binary @- "$(node_url)/_bulk")
	[ "$code" -eq 403 ]
	jq -e '.error.type == "cluster_block_exception"' "$d/resp"
	# no template yet: its PUT is refused first, then the bulk requests would be
	es-bulk --es-hosts "$(node_url)" --index-prefix "$p" --dead-letter "$d/dl" "$SAMPLE" 2>"$d/err" &
	pid=$!
	WAIT_SECS=20 wait_for grep -q 'index template .*cluster_block_exception.*waiting' "$d/err"
	sleep 1
	kill -0 "$pid"			# waiting, not gone
	[ "$(es_count "$p-*")" -eq 0 ]
	read_only null
	WAIT_SECS=40 wait_for bash -c "! kill -0 $pid 2>/dev/null"
	wait "$pid" || rc=$?
	cat "$d/err"
	[ "$rc" -eq 0 ]
	[ "$(es_count "$p-*")" -eq "$n" ]
	[ ! -e "$d/dl" ]
	# the template is there now, with location as geo_point
	curl -sS --fail-with-body "$(node_url)/$p-devices-*/_mapping" |
		jq -e '[.[].mappings.properties.location.type] | length > 0 and all(. == "geo_point")'

	# a second run: the template is already installed (a GET, no PUT), the
	# block makes _bulk itself 403; es-bulk retries until it is lifted
	read_only true
	es-bulk --es-hosts "$(node_url)" --index-prefix "$p" --dead-letter "$d/dl" "$SAMPLE" 2>"$d/err2" &
	pid=$!
	WAIT_SECS=20 wait_for grep -q 'batch 1: .*cluster_block_exception.*retrying' "$d/err2"
	! grep -q 'index template' "$d/err2"
	kill -0 "$pid"
	read_only null
	WAIT_SECS=40 wait_for bash -c "! kill -0 $pid 2>/dev/null"
	rc=0
	wait "$pid" || rc=$?
	cat "$d/err2"
	[ "$rc" -eq 0 ]
	final_stats <"$d/err2" | jq -e --argjson n "$n" '.indexed == $n and .retries >= 1 and .pending == 0'
	[ "$(es_count "$p-*")" -eq "$n" ]	# the replay overwrote, nothing twice
}

@test "es-bulk: requests refused with 429, then 503, by a rate-limiting nginx are retried: every document once" {
	local p d=$BATS_TEST_TMPDIR n status_code
	p=$(test_prefix)
	n=$(grep -c . "$SAMPLE")
	for status_code in 429 503; do
		node_proxy "$d/nginx-$status_code" \
			"location = /_bulk { limit_req zone=kes_bulk; limit_req_status $status_code;
			  proxy_pass $(node_url); proxy_http_version 1.1; proxy_set_header Connection \"\"; }" \
			"limit_req_zone \$binary_remote_addr zone=kes_bulk:1m rate=10r/s;"
		run --separate-stderr es-bulk --es-hosts "$PROXY_URL" --index-prefix "$p" \
			--batch-size 4 --workers 3 --dead-letter "$d/dl" "$SAMPLE"
		kill "$NGINX_PID"
		NGINX_PID=
		echo "$stderr" | tail -n 5
		[ "$status" -eq 0 ]
		# the proxy did refuse some, es-bulk said so and retried them
		grep -q "\" $status_code " "$d/nginx-$status_code/access.log"
		[[ $stderr == *"HTTP $status_code"* ]]
		final_stats <<<"$stderr" | jq -e --argjson n "$n" '.indexed == $n and .retries >= 1 and .dead_lettered == 0'
		[ "$(es_count "$p-*")" -eq "$n" ]
	done
	[ ! -e "$d/dl" ]
}

# FORBID: a 403 as a secured cluster words it for a role without the privilege
FORBID='return 403 "{\"error\":{\"type\":\"security_exception\",\"reason\":\"action is unauthorized for user [sensor]\"},\"status\":403}";'

# sensor_indexes PREFIX DIR read|install : the sample through the proxy: exit
# 0, one 403 warning for the template's GET or PUT, every record indexed
sensor_indexes() {
	run --separate-stderr es-bulk --es-hosts "$PROXY_URL" --index-prefix "$1" --dead-letter "$2/dl" "$SAMPLE"
	echo "$stderr"
	[ "$status" -eq 0 ]
	[ "$(grep -c "not allowed to $3 the index template es-bulk-$1 (403 security_exception); indexing without it" <<<"$stderr")" -eq 1 ]
	[ "$(es_count "$1-*")" -eq "$(grep -c . "$SAMPLE")" ]
	[ ! -e "$2/dl" ]
}

@test "es-bulk: least privilege: a sensor refused (403) GET / and the index template indexes everything with the administrator's template; --template-only there exits 77" {
	local p d=$BATS_TEST_TMPDIR
	p=$(test_prefix)
	node_proxy "$d/px" "default_type application/json;
		location = / { $FORBID }
		location ^~ /_index_template/ { $FORBID }"
	# the sensor cannot install the template: --template-only is an error there
	run --separate-stderr es-bulk --es-hosts "$PROXY_URL" --index-prefix "$p" --template-only
	echo "$stderr"
	[ "$status" -eq 77 ]
	[[ $stderr == *"not allowed to read the index template es-bulk-$p (403 security_exception: action is unauthorized"* ]]
	# the administrator installs it once, on the node itself
	run -0 es-bulk --es-hosts "$(node_url)" --index-prefix "$p" --template-only
	# the sensor indexes: one warning, every record, the template's mapping
	sensor_indexes "$p" "$d" read
	curl -sS --fail-with-body "$(node_url)/$p-devices-*/_mapping" |
		jq -e '[.[].mappings.properties.location.type] | length > 0 and all(. == "geo_point")'
	# the bulk requests went through the proxy, the template PUT never did
	grep -q '"POST /_bulk' "$d/px/access.log"
	! grep -q '"PUT /_index_template' "$d/px/access.log"
}

@test "es-bulk: least privilege: the template GET allowed, its PUT refused (403): warned once, everything indexed with the installed one" {
	local p d=$BATS_TEST_TMPDIR up
	p=$(test_prefix)
	up=$(node_url)
	node_proxy "$d/px" "default_type application/json;
		location ^~ /_index_template/ { if (\$request_method = PUT) { $FORBID } proxy_pass ${up}; }"
	# the administrator installed the template of another es-bulk version:
	# the sensor's GET sees a different version, its PUT is refused
	es-bulk --index-prefix "$p" --template-only --dry-run | jq -c '.version = 1' >"$d/t.json"
	curl -sS --fail-with-body -o /dev/null -X PUT -H 'Content-Type: application/json' \
		"$up/_index_template/es-bulk-$p" --data-binary @"$d/t.json"
	sensor_indexes "$p" "$d" install
	grep -q '"GET /_index_template/es-bulk-'"$p"' ' "$d/px/access.log"
	grep -q '"PUT /_index_template/es-bulk-'"$p"' [^"]*" 403 ' "$d/px/access.log"
	run --separate-stderr es-bulk --es-hosts "$PROXY_URL" --index-prefix "$p" --template-only
	[ "$status" -eq 77 ]
	[[ $stderr == *"not allowed to install the index template es-bulk-$p (403 security_exception: action is unauthorized"* ]]
}
