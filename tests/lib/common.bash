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
