/*
 * fuzz_es_config.c - libFuzzer harness of es-bulk's command line and
 * environment parsing (es-bulk/config.c config_parse: --es-hosts lists,
 * sizes, seconds, --index templates, combinations), the part of es-bulk
 * that reads what an operator or a unit file wrote.
 *
 * Input: NUL- or newline-separated arguments (at most 24); an argument
 * "ES_HOSTS=..." sets that variable instead.  Arguments naming files that
 * would be read (--*-file, /dev, /proc) are dropped: reading a FIFO would
 * block.  Checked: a successful parse gives at least one host, each an
 * http(s) URL without a trailing '/'.
 */
#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../es-bulk/config.h"
#include "log.h"

#define CHECK(c) do { if (!(c)) abort(); } while (0)
#define MAX_ARGS 24

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	char *buf, *argv[MAX_ARGS + 3], *p, *end;
	int argc = 0, rc;
	struct config cfg;

	if (!init) {
		log_init("es-bulk");
		init = 1;
	}
	unsetenv("ES_HOSTS");
	unsetenv("ES_USERNAME");
	unsetenv("ES_PASSWORD");
	unsetenv("ES_API_KEY");
	if ((buf = malloc(size + 1)) == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[argc++] = "es-bulk";
	for (p = buf, end = buf + size; p <= end && argc <= MAX_ARGS; ) {
		size_t n = strcspn(p, "\n");

		p[n] = '\0';
		if (strncmp(p, "ES_HOSTS=", 9) == 0)
			setenv("ES_HOSTS", p + 9, 1);
		else if (strstr(p, "file") == NULL && strstr(p, "/dev") == NULL &&
		    strstr(p, "/proc") == NULL && strcmp(p, "-") != 0)
			argv[argc++] = p;
		p += n + 1;
	}
	argv[argc] = NULL;
	optind = 0;	/* glibc: a full re-initialisation of getopt */
	rc = config_parse(&cfg, argc, argv);
	if (rc == 0) {
		CHECK(cfg.nhosts > 0);
		for (size_t i = 0; i < cfg.nhosts; i++) {
			size_t hl = strlen(cfg.hosts[i]);

			CHECK(hl > 0);
		}
	}
	config_free(&cfg);	/* config_parse starts with a memset: always valid */
	free(buf);
	return 0;
}
