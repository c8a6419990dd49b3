/* test_config.c - DATADIR/kakuin.conf and the environment overrides. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config/config.h"
#include "testutil.h"

static const char *const env_keys[] = {
	"KAKUIN_RESOLVER", "KAKUIN_STORE", "KAKUIN_LISTEN",
};

static int
setup(void **state)
{
	size_t i;

	for (i = 0; i < NITEMS(env_keys); i++)
		unsetenv(env_keys[i]);
	*state = tu_tmpdir();
	return 0;
}

static int
teardown(void **state)
{
	size_t i;

	for (i = 0; i < NITEMS(env_keys); i++)
		unsetenv(env_keys[i]);
	tu_rmtree(*state);
	free(*state);
	return 0;
}

static void
write_conf(const char *dir, const char *text)
{
	free(tu_write(dir, KN_CONFIG_FILE, text, strlen(text)));
}

static void
test_parse(void **state)
{
	const char *dir = *state;
	struct kn_config c;

	write_conf(dir,
	    "# kakuin configuration\n"
	    "\n"
	    "store = postgresql://kakuin@db.example/kakuin\n"
	    "   listen=0.0.0.0:9000   # all interfaces\n"
	    "\tbase_url = https://tc.example.jp\t\n"
	    "resolver =\n"
	    "workers = 4\n"
	    "max_connections = 100\r\n"
	    "timeout = 3600\n"
	    "max_body = 1024\n"
	    "access_log = /var/log/kakuin.log\n"
	    "web_dir = /srv/kakuin/web\n"
	    "dnssec_anchor = /usr/share/dns/root.key\n"
	    "max_connections_per_ip = 0\n"
	    "request_timeout = 5\n"
	    "sign_threads = 3\n"
	    "sign_queue = 1\n"
	    "sign_wait_ms = 60000\n"
	    "workers = 8\n"
	    "   # indented comment\n");
	assert_int_equal(kn_config_load(&c, dir, false), 0);
	assert_string_equal(c.datadir, dir);
	assert_string_equal(c.store, "postgresql://kakuin@db.example/kakuin");
	assert_string_equal(c.listen, "0.0.0.0:9000");
	assert_string_equal(c.base_url, "https://tc.example.jp");
	assert_string_equal(c.resolver, "");
	/* The last of a repeated key wins. */
	assert_int_equal(c.workers, 8);
	assert_int_equal(c.max_connections, 100);
	assert_int_equal(c.timeout, 3600);
	assert_int_equal(c.max_body, 1024);
	assert_string_equal(c.access_log, "/var/log/kakuin.log");
	assert_string_equal(c.web_dir, "/srv/kakuin/web");
	assert_string_equal(c.dnssec_anchor, "/usr/share/dns/root.key");
	assert_int_equal(c.max_connections_per_ip, 0);
	assert_int_equal(c.request_timeout, 5);
	assert_int_equal(c.sign_threads, 3);
	assert_int_equal(c.sign_queue, 1);
	assert_int_equal(c.sign_wait_ms, 60000);
	kn_config_cleanup(&c);
}

static void
test_defaults(void **state)
{
	const char *dir = *state;
	struct kn_config c, d;
	struct kn_config_secrets sec;
	char *want;

	/* No file: an error that says what to do, unless allowed. */
	assert_int_equal(kn_config_load(&c, dir, false), KN_ERR_CONFIG);
	CHECK_HAS("missing", kn_err_get()->msg, "kakuin init");
	assert_int_equal(kn_config_load(&c, dir, true), 0);
	want = tu_printf("sqlite:%s/kakuin.db", dir);
	assert_string_equal(c.store, want);
	assert_string_equal(c.listen, "127.0.0.1:8080");
	assert_int_equal(c.workers, 0);
	assert_int_equal(c.max_body, 1 << 20);

	/* The default file written by init reads back as the defaults,
	 * with the secrets it was given, in a file only its owner reads. */
	sec.pkcs11_pin = "pin-0123456789";
	sec.key_passphrase = "passphrase-0123456789";
	assert_int_equal(kn_config_write_default(dir, NULL, &sec), 0);
	assert_int_equal(kn_config_load(&d, dir, false), 0);
	assert_string_equal(d.pkcs11_pin, sec.pkcs11_pin);
	assert_string_equal(d.key_passphrase, sec.key_passphrase);
	assert_string_equal(d.ca_keys, "pkcs11");
	assert_int_equal(d.crl_days, 7);
	{
		struct stat sb;
		char *conf = tu_printf("%s/kakuin.conf", dir);

		assert_int_equal(stat(conf, &sb), 0);
		assert_int_equal(sb.st_mode & 0777, 0600);
		free(conf);
	}
	assert_string_equal(d.store, c.store);
	assert_string_equal(d.listen, c.listen);
	assert_string_equal(d.base_url, c.base_url);
	assert_string_equal(d.resolver, c.resolver);
	assert_string_equal(d.access_log, c.access_log);
	assert_int_equal(d.workers, c.workers);
	assert_int_equal(d.max_connections, c.max_connections);
	assert_int_equal(d.timeout, c.timeout);
	assert_int_equal(d.max_body, c.max_body);
	assert_int_equal(c.max_connections_per_ip, 256);
	assert_int_equal(d.max_connections_per_ip, c.max_connections_per_ip);
	assert_int_equal(c.request_timeout, 20);
	assert_int_equal(d.request_timeout, c.request_timeout);
	assert_int_equal(d.sign_threads, c.sign_threads);
	assert_int_equal(c.sign_queue, 256);
	assert_int_equal(d.sign_queue, c.sign_queue);
	assert_int_equal(c.sign_wait_ms, 2000);
	assert_int_equal(d.sign_wait_ms, c.sign_wait_ms);
	kn_config_cleanup(&d);
	kn_config_cleanup(&c);
	free(want);
	/* It is never overwritten. */
	assert_int_equal(kn_config_write_default(dir, "postgresql://x/y",
	    &sec), KN_ERR_IO);
}

static void
test_errors(void **state)
{
	static const struct {
		const char	*name;
		const char	*text;
		const char	*want_msg;
	} tab[] = {
		{ "unknown key", "# c\nlisten = :1\nlisen = :2\n",
		    "line 3: unknown key lisen" },
		{ "no equals", "store sqlite:x\n",
		    "line 1: expected key = value" },
		{ "empty key", "= x\n", "line 1: unknown key" },
		{ "workers negative", "workers = -1\n",
		    "line 1: workers must be a number from 0 to 256" },
		{ "workers too many", "\n\nworkers = 257\n",
		    "line 3: workers must be" },
		{ "workers word", "workers = four\n", "line 1: workers" },
		{ "workers empty", "workers =\n", "line 1: workers" },
		{ "workers fraction", "workers = 1.5\n", "line 1: workers" },
		{ "workers hex", "workers = 0x10\n", "line 1: workers" },
		{ "workers plus", "workers = +4\n", "line 1: workers" },
		{ "timeout zero", "timeout = 0\n", "timeout must be a number "
		    "from 1 to 3600" },
		{ "timeout huge", "timeout = 99999999999999999999\n",
		    "line 1: timeout" },
		{ "max_body small", "max_body = 1023\n", "line 1: max_body" },
		{ "max_body large", "max_body = 67108865\n",
		    "line 1: max_body" },
		{ "max_connections zero", "max_connections = 0\n",
		    "max_connections" },
		{ "key case", "Listen = :1\n", "unknown key Listen" },
		{ "per ip negative", "max_connections_per_ip = -1\n",
		    "max_connections_per_ip must be a number from 0 to " },
		{ "request_timeout zero", "request_timeout = 0\n",
		    "request_timeout must be a number from 1 to 3600" },
		{ "sign_queue zero", "sign_queue = 0\n",
		    "sign_queue must be a number from 1 to 1000000" },
		{ "sign_threads many", "sign_threads = 257\n",
		    "sign_threads must be a number from 0 to 256" },
		{ "sign_wait_ms zero", "sign_wait_ms = 0\n",
		    "sign_wait_ms must be a number from 1 to 60000" },
		{ "operator_name empty", "operator_name =\n",
		    "line 1: operator_name is 1 to 64 characters" },
		/* 65 characters: one over RFC 5280's organizationName. */
		{ "operator_name long", "operator_name = "
		    "\xe6\xa0\xaa\xe5\xbc\x8f\xe4\xbc\x9a\xe7\xa4\xbe"
		    "0123456789012345678901234567890123456789012345678901234567"
		    "890\n", "RFC 5280 appendix A.1" },
		{ "operator_name control", "operator_name = a\x01b\n",
		    "operator_name is 1 to 64" },
		{ "operator_name bad utf-8", "operator_name = \xff\n",
		    "operator_name is 1 to 64" },
	};
	const char *dir = *state;
	size_t i;

	for (i = 0; i < NITEMS(tab); i++) {
		struct kn_config c;

		write_conf(dir, tab[i].text);
		kn_err_clear();
		CHECK_INT(tab[i].name, kn_config_load(&c, dir, false),
		    KN_ERR_CONFIG);
		CHECK_HAS(tab[i].name, kn_err_get()->msg, tab[i].want_msg);
		/* A failed load leaves nothing to free. */
		CHECK_INT(tab[i].name, c.store == NULL, true);
	}
}

static void
test_caps(void **state)
{
	const char *dir = *state;
	struct kn_config c;
	char *text, *p;
	size_t i;

	/* A line longer than the cap. */
	text = malloc(KN_CONFIG_MAX_LINE + 64);
	assert_non_null(text);
	p = text + snprintf(text, 64, "base_url = http://x/");
	memset(p, 'a', KN_CONFIG_MAX_LINE);
	p[KN_CONFIG_MAX_LINE] = '\n';
	p[KN_CONFIG_MAX_LINE + 1] = '\0';
	write_conf(dir, text);
	free(text);
	assert_int_equal(kn_config_load(&c, dir, false), KN_ERR_CONFIG);
	CHECK_HAS("long line", kn_err_get()->msg, "line 1: line too long");

	/* Too many lines, even of comments. */
	text = malloc(2 * (KN_CONFIG_MAX_LINES + 1) + 1);
	assert_non_null(text);
	for (i = 0; i <= KN_CONFIG_MAX_LINES; i++)
		memcpy(text + 2 * i, "#\n", 2);
	text[2 * i] = '\0';
	write_conf(dir, text);
	assert_int_equal(kn_config_load(&c, dir, false), KN_ERR_CONFIG);
	CHECK_HAS("many lines", kn_err_get()->msg, "line 513");
	/* One line fewer is fine. */
	text[2 * KN_CONFIG_MAX_LINES] = '\0';
	write_conf(dir, text);
	free(text);
	assert_int_equal(kn_config_load(&c, dir, false), 0);
	kn_config_cleanup(&c);
}

static void
test_env(void **state)
{
	static const struct {
		const char	*name;
		const char	*var;
		const char	*value;
		const char	*want_resolver;
		const char	*want_store;
		const char	*want_listen;
	} tab[] = {
		{ "none", NULL, NULL, "192.0.2.53@53", "sqlite:/srv/k.db",
		    "127.0.0.1:8080" },
		{ "resolver", "KAKUIN_RESOLVER", "127.0.0.1@5353",
		    "127.0.0.1@5353", "sqlite:/srv/k.db", "127.0.0.1:8080" },
		/* An empty resolver means the system's: it still overrides. */
		{ "resolver empty", "KAKUIN_RESOLVER", "", "",
		    "sqlite:/srv/k.db", "127.0.0.1:8080" },
		{ "store", "KAKUIN_STORE", "postgresql://k@h/k",
		    "192.0.2.53@53", "postgresql://k@h/k", "127.0.0.1:8080" },
		{ "store empty", "KAKUIN_STORE", "", "192.0.2.53@53",
		    "sqlite:/srv/k.db", "127.0.0.1:8080" },
		{ "listen", "KAKUIN_LISTEN", "[::1]:8443", "192.0.2.53@53",
		    "sqlite:/srv/k.db", "[::1]:8443" },
	};
	const char *dir = *state;
	size_t i;

	write_conf(dir, "resolver = 192.0.2.53@53\n"
	    "store = sqlite:/srv/k.db\n");
	for (i = 0; i < NITEMS(tab); i++) {
		struct kn_config c;
		size_t k;

		for (k = 0; k < NITEMS(env_keys); k++)
			unsetenv(env_keys[k]);
		if (tab[i].var != NULL)
			setenv(tab[i].var, tab[i].value, 1);
		CHECK_INT(tab[i].name, kn_config_load(&c, dir, false), 0);
		CHECK_STR(tab[i].name, c.resolver, tab[i].want_resolver);
		CHECK_STR(tab[i].name, c.store, tab[i].want_store);
		CHECK_STR(tab[i].name, c.listen, tab[i].want_listen);
		kn_config_cleanup(&c);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_parse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_defaults, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_caps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_env, setup, teardown),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
