/* quote.h - quoting input text inside libkpi error messages (private).
 *
 * Messages quote the offending field ("\"12x\" is not a number"); a field
 * can be a whole mangled line or hold control characters, so the quote is
 * cut to about 40 bytes (at a UTF-8 character boundary, then "...") and
 * control characters are escaped so that a stray CR or ESC cannot garble
 * the user's terminal.  Header-only so that num.c and date.c share it
 * without a new entry in libkpi/meson.build.
 */
#ifndef KPI_QUOTE_H
#define KPI_QUOTE_H

#include <stddef.h>

/* Room for 40 bytes of text, each escaped to at most 4 bytes, plus "...". */
#define KPI_QUOTE_BUFSZ 168
#define KPI_QUOTE_MAX 40

/* Write the printable form of s (NULL reads as "") into buf and return buf,
 * for use as a "%s" argument. */
static inline const char *
kpi_quote(const char *s, char *buf)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;
	size_t n = 0;
	size_t len = 0;

	if (!s)
		s = "";
	while (len <= KPI_QUOTE_MAX && s[len] != '\0')
		len++;
	if (len > KPI_QUOTE_MAX) {
		len = KPI_QUOTE_MAX;
		/* Do not split a multibyte character: back up over
		 * continuation bytes (10xxxxxx). */
		while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
			len--;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\t' || c == '\r' || c == '\n') {
			buf[n++] = '\\';
			buf[n++] = c == '\t' ? 't' : c == '\r' ? 'r' : 'n';
		} else if (c < 0x20 || c == 0x7f) {
			buf[n++] = '\\';
			buf[n++] = 'x';
			buf[n++] = hex[c >> 4];
			buf[n++] = hex[c & 0xf];
		} else {
			buf[n++] = (char)c;
		}
	}
	if (s[len] != '\0') {
		buf[n++] = '.';
		buf[n++] = '.';
		buf[n++] = '.';
	}
	buf[n] = '\0';
	return buf;
}

#endif
