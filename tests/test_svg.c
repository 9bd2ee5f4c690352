/* test_svg.c - the SVG writer: byte-stable numbers, XML escaping, elements.
 * Expected texts are worked by hand from the rules in kpi/svg.h, the XML
 * 1.0 specification (escapes, allowed characters), RFC 3629 (valid UTF-8)
 * and Unicode UAX #9 (the bidi controls U+202A..U+202E, U+2066..U+2069). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test-util.h"
#include "kpi/svg.h"

static void
check_num(double x, const char *want)
{
	char buf[KPI_SVG_NUMSZ];
	size_t n = kpi_svg_num(x, buf);

	if (strcmp(buf, want) != 0)
		fail_msg("kpi_svg_num(%.17g) = \"%s\", expected \"%s\"", x, buf,
			 want);
	assert_int_equal(n, strlen(want));
}

static void
test_num_rounds_to_hundredths_without_trailing_zeros(void **state)
{
	(void)state;
	check_num(12.5, "12.5");
	check_num(3, "3");
	check_num(-0.25, "-0.25");
	check_num(0.1, "0.1");
	check_num(100, "100");
	check_num(7.05, "7.05");	/* 704.99999999999989 rounds to 705 */
	check_num(233.2215, "233.22");
	check_num(146.5333, "146.53");
	check_num(-0.004, "0");		/* rounds to zero: no "-0" */
	check_num(-0.0, "0");
	check_num(NAN, "0");
	check_num(INFINITY, "0");		/* never drawn */
	check_num(1e15, "1000000000000");	/* clamped to 1e12 */
}

/* kpi_svg_escape() of s, as a malloc'd string. */
static char *
escaped(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	kpi_svg_escape(f, s);
	fclose(f);
	return buf;
}

static void
check_escape(const char *s, const char *want)
{
	char *got = escaped(s);

	if (strcmp(got, want) != 0)
		fail_msg("escape(\"%s\") = \"%s\", expected \"%s\"", s, got, want);
	free(got);
}

#define FFFD "\xef\xbf\xbd"

static void
test_escape_xml_specials(void **state)
{
	(void)state;
	check_escape("a<b&c>\"'", "a&lt;b&amp;c&gt;&quot;&apos;");
	check_escape("plain", "plain");
	check_escape("", "");
}

static void
test_escape_replaces_invalid_utf8_and_controls(void **state)
{
	(void)state;
	check_escape("x\xffy", "x" FFFD "y");		/* stray byte */
	check_escape("\xc3", FFFD);			/* truncated sequence */
	check_escape("\xc0\x80", FFFD FFFD);		/* overlong NUL */
	check_escape("a\x01" "b", "a" FFFD "b");	/* C0 control */
	check_escape("a\tb", "a\tb");			/* tab is allowed */
	check_escape("caf\xc3\xa9", "caf\xc3\xa9");	/* valid passes */
	check_escape("\xf0\x9f\x93\x88", "\xf0\x9f\x93\x88");	/* U+1F4C8 */
}

static void
test_escape_neutralises_bidi_controls(void **state)
{
	(void)state;
	/* U+202E RIGHT-TO-LEFT OVERRIDE, U+2067 RIGHT-TO-LEFT ISOLATE */
	check_escape("\xe2\x80\xae" "evil", FFFD "evil");
	check_escape("a\xe2\x81\xa7" "b", "a" FFFD "b");
	/* Arabic letters themselves are fine: the renderer orders them. */
	check_escape("\xd8\xb3\xd9\x84\xd8\xa7\xd9\x85",
		     "\xd8\xb3\xd9\x84\xd8\xa7\xd9\x85");
}

static void
test_text_chars_counts_code_points(void **state)
{
	(void)state;
	assert_int_equal(kpi_svg_text_chars("abc"), 3);
	assert_int_equal(kpi_svg_text_chars("caf\xc3\xa9"), 4);
	assert_int_equal(kpi_svg_text_chars(""), 0);
	assert_close(kpi_svg_text_width(10, 10), 60, 1e-12);
}

static void
test_elements_are_written_as_documented(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct kpi_svg s;
	double xs[] = { 1, 2.5 }, ys[] = { 3, 4 };

	(void)state;
	assert_non_null(f);
	kpi_svg_begin(&s, f, 100, 50, "a & b");
	kpi_svg_rect(&s, "bar", 15, 10, -10, 5, "fill=\"red\"");
	kpi_svg_poly(&s, "line", xs, ys, 2, 0, NULL);
	kpi_svg_text(&s, "tick", 5, 6, KPI_SVG_END, 10, 0, NULL, "<x>");
	assert_int_equal(kpi_svg_end(&s, NULL), KPI_OK);
	fclose(f);
	assert_non_null(strstr(buf, "<title>a &amp; b</title>"));
	assert_non_null(strstr(buf, "viewBox=\"0 0 100 50\""));
	/* a negative width is normalised */
	assert_non_null(strstr(buf, "<rect class=\"bar\" x=\"5\" y=\"10\" width=\"10\" height=\"5\" fill=\"red\"/>"));
	assert_non_null(strstr(buf, "<polyline class=\"line\" points=\"1,3 2.5,4\"/>"));
	assert_non_null(strstr(buf, "<text class=\"tick\" x=\"5\" y=\"6\" text-anchor=\"end\" font-size=\"10\">&lt;x&gt;</text>"));
	assert_string_equal(buf + len - 7, "</svg>\n");
	free(buf);
}

/* What draw() writes, as a malloc'd string. */
static char *
drawn(void (*draw)(struct kpi_svg *))
{
	struct kpi_svg s = { NULL };
	char *buf = NULL;
	size_t len = 0;

	s.out = open_memstream(&buf, &len);
	assert_non_null(s.out);
	draw(&s);
	fclose(s.out);
	return buf;
}

static void
draw_viewport(struct kpi_svg *s)
{
	kpi_svg_viewport_begin(s, "marks", 64, 40, 628.5, 316);
	kpi_svg_viewport_end(s);
}

static void
test_viewport_keeps_page_coordinates(void **state)
{
	char *buf = drawn(draw_viewport);

	(void)state;
	/* the viewBox is the box itself, so a point inside keeps its
	 * coordinates; overflow hidden clips what lies outside */
	assert_string_equal(buf,
			    "<svg class=\"marks\" x=\"64\" y=\"40\" width=\"628.5\" height=\"316\" viewBox=\"64 40 628.5 316\" overflow=\"hidden\">\n</svg>\n");
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_num_rounds_to_hundredths_without_trailing_zeros),
		cmocka_unit_test(test_escape_xml_specials),
		cmocka_unit_test(test_escape_replaces_invalid_utf8_and_controls),
		cmocka_unit_test(test_escape_neutralises_bidi_controls),
		cmocka_unit_test(test_text_chars_counts_code_points),
		cmocka_unit_test(test_elements_are_written_as_documented),
		cmocka_unit_test(test_viewport_keeps_page_coordinates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
