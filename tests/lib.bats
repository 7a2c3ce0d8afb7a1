#!/usr/bin/env bats
# lib.bats - unit tests of the shared library (tests/unit/lib_test.c).
load lib/common

@test "lib: line reader, timestamps, ack lines and number parsing" {
	run "${KES_BIN_DIR%/bin}/tests/lib-test"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"ALL OK"* ]]
	! grep -q '^FAIL' <<<"$output"
}
