# tests/lib/common.bash - loaded by every suite (`load lib/common`).
# Puts the binaries under test first on PATH and gives each test a scratch dir.
KES_TOP=${KES_TOP:-$(cd "$BATS_TEST_DIRNAME/.." && pwd)}
KES_BIN_DIR=${KES_BIN_DIR:-$KES_TOP/build/bin}
export KES_TOP KES_BIN_DIR
PATH="$KES_BIN_DIR:$PATH"
KES_DATA=$KES_TOP/tests/data

# A fresh directory per test (bats removes BATS_TEST_TMPDIR itself).
scratch() { mkdir -p "$BATS_TEST_TMPDIR/s" && echo "$BATS_TEST_TMPDIR/s"; }

# wait_for CMD... : retry a command for up to $WAIT_SECS (default 20) seconds.
wait_for() {
	local deadline=$(( $(date +%s) + ${WAIT_SECS:-20} ))
	until "$@"; do
		[ "$(date +%s)" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

# last_records_match OUT ONCE : kismet-tap's live output OUT ends, for every device, with
# the record that ONCE (kismet-tap --once on the same, frozen state) holds for it, and
# holds no other device (diff shows what differs).
last_records_match() {
	jq -S -c -s 'map(select(.record_type == "device")) | group_by(.device_key) | map(last) | .[]' "$1" | sort >"$1.last"
	jq -S -c . "$2" | sort >"$2.sorted"
	diff "$2.sorted" "$1.last"
}
