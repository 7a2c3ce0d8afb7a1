# tests/lib/node.bash - bats helpers for suites that talk to a real search
# node (Elasticsearch or OpenSearch, started by scripts/search-node).
#
#   load lib/node
#   setup_file()    { node_start_for_suite; }
#   teardown_file() { node_stop_for_suite; }
#
# Which node:
#   - $KES_ES_URL set (tests/run starts one node per flavour and exports it
#     with $ES_FLAVOR): that node is used, nothing is started or stopped here.
#   - otherwise node_start_for_suite starts a private node of flavour
#     $ES_FLAVOR (default elasticsearch) in $BATS_FILE_TMPDIR and exports
#     KES_ES_URL/ES_FLAVOR for the suite's tests.
#
# No node outlives the run: node_stop_for_suite (teardown_file) stops it by
# PID; an EXIT/INT/TERM/HUP trap installed in setup_file's shell chains to any
# trap bats had and stops it too; and the node is started with
# `--watch-pid <bats file runner PID>`, a detached watchdog that stops it
# within a second once the bats process is gone -- also after SIGKILL, which
# no trap sees.
#
# Helpers (all use $KES_ES_URL; curl, jq):
#   node_url                 base URL of the node
#   test_prefix              unique lower-case index prefix for this test
#   es_get PATH              GET, print body, fail on HTTP >= 400
#   es_refresh [INDEX]       refresh (all indices by default)
#   es_count INDEX_PATTERN   refresh, then print the document count
#   es_search INDEX BODY     POST BODY to INDEX/_search, print the response
#   node_log                 path of the node's node.log (KES_NODE_DIR, set
#                            by tests/run, or the suite's own node)
#   es_delete_prefix PREFIX  delete every index PREFIX* (data streams too,
#                            where the node has the API)

KES_TOP=${KES_TOP:-$(cd "$BATS_TEST_DIRNAME/.." && pwd)}
KES_SEARCH_NODE=${KES_SEARCH_NODE:-$KES_TOP/scripts/search-node}

node_start_for_suite() {
	export ES_FLAVOR=${ES_FLAVOR:-elasticsearch}
	if [ -n "${KES_ES_URL:-}" ]; then
		return 0
	fi
	# not under $BATS_FILE_TMPDIR: bats deletes that on SIGTERM before any
	# trap of ours could read the PID file in it
	KES_SUITE_NODE_DIR=$(mktemp -d "${TMPDIR:-/tmp}/kes-node-$ES_FLAVOR.XXXXXX") || return 1
	export KES_SUITE_NODE_DIR KES_NODE_DIR=$KES_SUITE_NODE_DIR
	_node_install_trap
	# the PID of this shell (bats' file runner), taken outside $(...)
	local url runner=$BASHPID
	url=$("$KES_SEARCH_NODE" start "$ES_FLAVOR" "$KES_SUITE_NODE_DIR" --watch-pid "$runner") || {
		echo "node_start_for_suite: could not start a $ES_FLAVOR node" >&2
		return 1
	}
	export KES_ES_URL=$url
}

node_stop_for_suite() {
	if [ -n "${KES_SUITE_NODE_DIR:-}" ] && [ -d "$KES_SUITE_NODE_DIR" ]; then
		"$KES_SEARCH_NODE" stop "$KES_SUITE_NODE_DIR" >&2 &&
			rm -rf "$KES_SUITE_NODE_DIR"
	fi
	return 0
}

# Chain our stop in front of whatever trap bats (or the suite) already set.
_node_install_trap() {
	local sig old
	for sig in EXIT INT TERM HUP; do
		old=$(trap -p "$sig")
		old=${old#trap -- \'}
		old=${old%\' "$sig"}
		old=${old//\'\\\'\'/\'}
		# shellcheck disable=SC2064
		trap "node_stop_for_suite; ${old:-:}" "$sig"
	done
}

node_url() {
	if [ -z "${KES_ES_URL:-}" ]; then
		echo "node_url: no node: set KES_ES_URL or call node_start_for_suite in setup_file" >&2
		return 1
	fi
	echo "${KES_ES_URL%/}"
}

# kt-<suite>-<pid>-<test number>: lower case, valid as an index name prefix,
# distinct between tests, suites and concurrent runs.
test_prefix() {
	local suite n
	suite=$(basename "${BATS_TEST_FILENAME:-suite}" .bats | tr '[:upper:]' '[:lower:]' | tr -c 'a-z0-9\n' '-')
	n=${BATS_SUITE_TEST_NUMBER:-${BATS_TEST_NUMBER:-0}}
	echo "kt-${suite}-$$-${n}"
}

# es_get PATH : GET $KES_ES_URL/PATH, body on stdout, non-zero on HTTP >= 400
es_get() {
	local url
	url=$(node_url) || return 1
	curl -sS --fail-with-body -H 'Accept: application/json' "$url/${1#/}"
}

es_refresh() {
	local url
	url=$(node_url) || return 1
	curl -sS --fail-with-body -o /dev/null -X POST \
		"$url/${1:+$1/}_refresh?ignore_unavailable=true&allow_no_indices=true"
}

# es_count INDEX_PATTERN : prints the number of documents after a refresh
es_count() {
	local url body
	url=$(node_url) || return 1
	es_refresh "$1" || return 1
	body=$(curl -sS --fail-with-body "$url/$1/_count?ignore_unavailable=true&allow_no_indices=true") || {
		echo "es_count: $body" >&2
		return 1
	}
	jq -er '.count' <<<"$body"
}

# es_delete_prefix PREFIX : delete indices (and data streams) named PREFIX*
es_delete_prefix() {
	local url
	url=$(node_url) || return 1
	case $1 in
		'' | '*' | _* | .*) echo "es_delete_prefix: refusing prefix '$1'" >&2; return 1 ;;
	esac
	# data streams first (404/405 where the node lacks the REST API)
	curl -sS -o /dev/null -X DELETE "$url/_data_stream/$1*" || true
	curl -sS --fail-with-body -o /dev/null -X DELETE \
		"$url/$1*?ignore_unavailable=true&allow_no_indices=true&expand_wildcards=all"
}

# es_search INDEX BODY : POST BODY to INDEX/_search, response on stdout
es_search() {
	local url
	url=$(node_url) || return 1
	curl -sS --fail-with-body -H 'Content-Type: application/json' \
		--data-binary "$2" "$url/$1/_search"
}

# node_log : path of the node's log (the JVM's stdout/stderr, where the node
# also logs deprecations)
node_log() {
	if [ -z "${KES_NODE_DIR:-}" ] || [ ! -f "$KES_NODE_DIR/node.log" ]; then
		echo "node_log: no node directory with a node.log (KES_NODE_DIR)" >&2
		return 1
	fi
	echo "$KES_NODE_DIR/node.log"
}
