# deb.mk - the Debian package (debian/, scripts/build-deb, tests/deb.bats):
#
#   make deb                        build-deb/kismet-es_<version>_<arch>.deb, lintian-checked
#   make deb CROSS=aarch64-linux-gnu   the same for arm64 (armhf: arm-linux-gnueabihf)
#   make test-deb                   tests/deb.bats: install it here, run, verify, purge (root)
deb:
	scripts/build-deb $(CROSS)

test-deb:
	tests/run tests/deb.bats

clean: clean-deb
clean-deb:
	rm -rf build-deb

.PHONY: deb test-deb clean-deb
