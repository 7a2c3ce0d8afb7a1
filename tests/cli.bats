#!/usr/bin/env bats
# cli.bats - the same flag means the same thing in every tool: --help on
# stdout with exit 0, --version naming the tool, the release and the linked
# libraries one per line, usage errors on stderr with exit 64 and a hint,
# and -q/-v described alike in --help and the man page.
load lib/common
bats_require_minimum_version 1.5.0

TOOLS="kismet-tap buffer-spool es-bulk"

@test "cli: --help goes to stdout, exits 0, and lists -v -q -h -V" {
	for t in $TOOLS; do
		run --separate-stderr "$t" --help
		[ "$status" -eq 0 ] || { echo "$t: $status"; false; }
		[ -z "$stderr" ]
		for o in --verbose --quiet --help --version; do
			grep -q -- "$o" <<<"$output" || { echo "$t --help lacks $o"; false; }
		done
		grep -Eq -- '-q, --quiet +warnings and errors only' <<<"$output" ||
			{ echo "$t: -q described differently"; false; }
	done
}

@test "cli: --version prints the release and one line per linked library" {
	release=$(sed -n 's/^#define KES_VERSION "\(.*\)"/\1/p' "$KES_TOP/lib/version.h")
	[ -n "$release" ]
	for t in $TOOLS; do
		run --separate-stderr "$t" --version
		[ "$status" -eq 0 ]
		[ "${lines[0]}" = "$t $release" ] || { echo "$t: '${lines[0]}'"; false; }
		grep -q '^jansson 2\.' <<<"$output" || { echo "$t: no jansson line"; false; }
	done
	run kismet-tap --version
	grep -q '^libwebsockets ' <<<"$output"
	grep -q '^sqlite 3\.' <<<"$output"
	grep -q '^libcurl/' <<<"$output"
	run buffer-spool --version
	grep -q '^sqlite 3\.' <<<"$output"
	run es-bulk --version
	grep -q '^libcurl/' <<<"$output"
}

@test "cli: an unknown option is a usage error: exit 64, a hint, nothing on stdout" {
	for t in $TOOLS; do
		args=(--no-such-option)
		[ "$t" = buffer-spool ] && args=(status --no-such-option)
		run --separate-stderr "$t" "${args[@]}"
		[ "$status" -eq 64 ] || { echo "$t: $status"; false; }
		[ -z "$output" ]
		grep -q "^$t: " <<<"$stderr"
		grep -q "try '$t --help'" <<<"$stderr"
	done
}

@test "cli: every man page describes -q as warnings and errors only" {
	for t in $TOOLS; do
		awk '/^\.It Fl q/{getline; print; exit}' "$KES_TOP/man/$t.1" |
			grep -qi 'warnings and errors' || { echo "$t.1"; false; }
	done
}

@test "cli: --insecure prints a warning at every start (es-bulk, kismet-tap)" {
	run --separate-stderr es-bulk --dry-run --insecure </dev/null
	grep -q '^es-bulk: warning: --insecure' <<<"$stderr"
	run --separate-stderr timeout 3 kismet-tap --once --insecure --kismet-url https://127.0.0.1:1
	grep -q '^kismet-tap: warning: --insecure' <<<"$stderr"
}
