#!/usr/bin/env bats
# deb.bats - the Debian package (make deb; debian/): installed on this machine
# with dpkg, the tools run from /usr/bin, the units pass systemd-analyze
# verify where the package put them, the settings file is a 0600 conffile
# that survives a remove, and a purge leaves nothing behind.  Needs root and
# debhelper/lintian (make deps-cross); `make test-deb` builds the package
# first.  The tests run in order on one installation.
# kes: explicit-only

load lib/common
bats_require_minimum_version 1.5.0

UNITS=(kismet-es.service kismet-es-offline.service kismet-es-drain.service kismet-es-drain.timer)

setup_file() {
	[ "$(id -u)" -eq 0 ] || { echo "deb.bats: needs root (dpkg -i)" >&2; return 1; }
	local v
	v=$(dpkg-parsechangelog -l "$KES_TOP/debian/changelog" -S Version)
	export DEB=$KES_TOP/build-deb/kismet-es_${v}_$(dpkg --print-architecture).deb
	[ -f "$DEB" ] || { echo "deb.bats: $DEB missing: run make deb" >&2; return 1; }
	# a leftover of an interrupted run would hide what this run installs
	if dpkg-query -W kismet-es >/dev/null 2>&1; then dpkg --purge kismet-es >/dev/null; fi
	dpkg-deb -c "$DEB" | awk '$6 != "./" { print substr($6, 2) }' >"$BATS_FILE_TMPDIR/files"
}

@test "deb: dpkg -i installs it; the tools run from /usr/bin with the package's version" {
	run -0 dpkg -i "$DEB"
	[ "$(dpkg-query -W -f '${Status}' kismet-es)" = "install ok installed" ]
	local v
	v=$(sed -n 's/^#define KES_VERSION "\(.*\)"/\1/p' "$KES_TOP/lib/version.h")
	[ "$(dpkg-query -W -f '${Version}' kismet-es)" = "$v" ]
	for t in kismet-tap buffer-spool es-bulk; do
		[ "$(dpkg -S "/usr/bin/$t")" = "kismet-es: /usr/bin/$t" ]
		[ "$(/usr/bin/$t --version | head -n 1)" = "$t $v" ]
		[ "$(man -w "$t")" = "/usr/share/man/man1/$t.1.gz" ]
	done
	[ "$(man -w 7 kismet-es)" = /usr/share/man/man7/kismet-es.7.gz ]
	# the pipeline of kismet-es-offline.service, by hand, into the units' state directory
	mkdir -p /var/lib/kismet-es
	/usr/bin/kismet-tap --kismetdb "$KES_DATA/kismet/kismetdb/field-sample.kismet" |
		/usr/bin/buffer-spool store --buffer-db /var/lib/kismet-es/spool.db
	[ "$(/usr/bin/buffer-spool status --buffer-db /var/lib/kismet-es/spool.db --json | jq .total)" -eq 64 ]
	run -0 --separate-stderr /usr/bin/es-bulk --dry-run --dead-letter /var/lib/kismet-es/rejects.ndjson \
		"$KES_DATA/es-bulk/kismet-sample.ndjson"
	[ "$(jq -r 'select(.index) | .index._index' <<<"$output" | sort -u | head -n 1)" = kismet-devices-2025.01 ]
}

@test "deb: the settings file is a 0600 conffile in a 0700 directory; the units are installed, not enabled" {
	[ "$(stat -c '%a %U' /etc/kismet-es)" = "700 root" ]
	[ "$(stat -c '%a %U' /etc/kismet-es/kismet-es.env)" = "600 root" ]
	[[ "$(dpkg-query -W -f '${Conffiles}' kismet-es)" == *" /etc/kismet-es/kismet-es.env "* ]]
	cmp /etc/kismet-es/kismet-es.env "$KES_TOP/scripts/systemd/kismet-es.env"
	for u in "${UNITS[@]}"; do
		[ -f "/lib/systemd/system/$u" ]
		! grep -n /usr/local "/lib/systemd/system/$u"
	done
	# no [Install] in the drain service: the timer starts it
	[ "$(systemctl is-enabled kismet-es-drain.service)" = static ]
	for u in kismet-es.service kismet-es-offline.service kismet-es-drain.timer; do
		[ "$(systemctl is-enabled "$u" || true)" = disabled ]
	done
}

@test "deb: systemd-analyze verify accepts the installed units, silently" {
	run systemd-analyze verify "${UNITS[@]/#//lib/systemd/system/}"
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "deb: remove keeps the edited settings file; purge leaves nothing behind" {
	echo 'ES_API_KEY=edited' >>/etc/kismet-es/kismet-es.env
	run -0 dpkg -r kismet-es
	[ ! -e /usr/bin/es-bulk ]
	grep -qx 'ES_API_KEY=edited' /etc/kismet-es/kismet-es.env
	run -0 dpkg -P kismet-es
	! dpkg-query -W -f '${Status}' kismet-es 2>/dev/null | grep -q installed
	local f left=()
	while read -r f; do
		# directories that other packages own (/usr/bin, /lib/systemd/system...) stay
		if [ -d "$f" ] && [ -n "$(dpkg -S "$f" 2>/dev/null)" ]; then continue; fi
		[ ! -e "$f" ] || left+=("$f")
	done <"$BATS_FILE_TMPDIR/files"
	printf 'left: %s\n' "${left[@]}"
	[ ${#left[@]} -eq 0 ]
	[ ! -e /etc/kismet-es ] && [ ! -e /var/lib/kismet-es ]
	! grep -rs kismet-es /var/lib/systemd/deb-systemd-helper-enabled /var/lib/systemd/deb-systemd-helper-masked
	! ls /var/lib/dpkg/info/kismet-es.* 2>/dev/null
}
