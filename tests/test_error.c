/* test_error.c - status strings and the error struct. */
#include <string.h>

#include "test-util.h"
#include "kpi/error.h"

static void
test_strerror_names_every_status(void **state)
{
	int st;

	for (st = KPI_OK; st <= KPI_ESTOP; st++) {
		const char *s = kpi_strerror((enum kpi_status)st);

		assert_non_null(s);
		assert_true(strlen(s) > 0);
	}
	assert_string_equal(kpi_strerror(KPI_OK), "success");
	assert_string_equal(kpi_strerror((enum kpi_status)999), "unknown error");
}

static void
test_error_set_fills_and_returns_the_status(void **state)
{
	struct kpi_error err;

	kpi_error_column(&err, KPI_OK, "stale");
	assert_int_equal(kpi_error_set(&err, KPI_EPARSE, 17, "\"%s\" is not a number",
				       "12x"), KPI_EPARSE);
	assert_int_equal(err.status, KPI_EPARSE);
	assert_int_equal(err.line, 17);
	assert_string_equal(err.msg, "\"12x\" is not a number");
	assert_string_equal(err.column, "");	/* a new error names no column */
	assert_int_equal(kpi_error_column(&err, KPI_EPARSE, "amount"), KPI_EPARSE);
	assert_string_equal(err.column, "amount");
	kpi_error_clear(&err);
	assert_int_equal(err.status, KPI_OK);
	assert_int_equal(err.line, 0);
	assert_string_equal(err.msg, "");
}

static void
test_error_set_truncates_long_messages_and_accepts_null(void **state)
{
	struct kpi_error err;
	char longtext[2 * KPI_ERROR_MSG_MAX];

	memset(longtext, 'x', sizeof(longtext) - 1);
	longtext[sizeof(longtext) - 1] = '\0';
	kpi_error_set(&err, KPI_EINVAL, 0, "%s", longtext);
	assert_int_equal(strlen(err.msg), KPI_ERROR_MSG_MAX - 1);
	assert_int_equal(kpi_error_set(NULL, KPI_EIO, 3, "ignored"), KPI_EIO);
	assert_int_equal(kpi_error_column(NULL, KPI_EIO, "x"), KPI_EIO);
	kpi_error_clear(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strerror_names_every_status),
		cmocka_unit_test(test_error_set_fills_and_returns_the_status),
		cmocka_unit_test(test_error_set_truncates_long_messages_and_accepts_null),
	};

	kpi_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
