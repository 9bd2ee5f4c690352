/* svg.c - the SVG writer: elements, byte-stable numbers, XML escaping. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "kpi/svg.h"

/* Far beyond any drawing, and well inside long long once scaled by 100. */
#define SVG_NUM_LIMIT 1e12

size_t
kpi_svg_num(double x, char *buf)
{
	char digits[KPI_SVG_NUMSZ];
	long long v;
	size_t n = 0, k = 0;
	int frac;

	if (!isfinite(x))
		x = 0;
	if (x > SVG_NUM_LIMIT)
		x = SVG_NUM_LIMIT;
	if (x < -SVG_NUM_LIMIT)
		x = -SVG_NUM_LIMIT;
	/* Integer arithmetic from here: no locale, no printf rounding. */
	v = llround(x * 100);
	if (v < 0) {
		buf[n++] = '-';
		v = -v;
	}
	frac = (int)(v % 100);
	v /= 100;
	do {
		digits[k++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (k)
		buf[n++] = digits[--k];
	if (frac) {
		buf[n++] = '.';
		buf[n++] = (char)('0' + frac / 10);
		if (frac % 10)
			buf[n++] = (char)('0' + frac % 10);
	}
	buf[n] = '\0';
	return n;
}

/* ==== Text ==== */

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when it is not one
 * (overlong forms, surrogates and values above U+10FFFF are not valid,
 * RFC 3629); *cp receives the code point. */
static size_t
utf8_decode(const unsigned char *s, uint32_t *cp)
{
	uint32_t c = s[0];
	size_t len, i;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		c &= 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		c &= 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		c &= 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* Characters that must not reach the drawing as they are: what XML 1.0
 * forbids (C0 controls but tab, U+FFFE, U+FFFF) and the explicit bidi
 * embeddings, overrides and isolates, which would reorder what follows
 * them (Unicode Standard Annex #9). */
static int
svg_forbidden(uint32_t cp)
{
	return (cp < 0x20 && cp != '\t') || cp == 0x7f ||
	       (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069) || cp == 0xfffe || cp == 0xffff;
}

void
kpi_svg_escape(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;
	size_t len;

	while (*p) {
		len = utf8_decode(p, &cp);
		if (len == 0 || svg_forbidden(cp)) {
			fputs("\xef\xbf\xbd", out);	/* U+FFFD */
			p += len ? len : 1;
			continue;
		}
		switch (cp) {
		case '&':	fputs("&amp;", out); break;
		case '<':	fputs("&lt;", out); break;
		case '>':	fputs("&gt;", out); break;
		case '"':	fputs("&quot;", out); break;
		case '\'':	fputs("&apos;", out); break;
		default:	fwrite(p, 1, len, out); break;
		}
		p += len;
	}
}

size_t
kpi_svg_text_chars(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0;

	for (; *p; p++)
		if ((*p & 0xc0) != 0x80)
			n++;
	return n;
}

double
kpi_svg_text_width(size_t n, double size)
{
	return 0.6 * size * (double)n;
}

/* ==== Elements ==== */

static void
put_num(FILE *out, double x)
{
	char buf[KPI_SVG_NUMSZ];

	fwrite(buf, 1, kpi_svg_num(x, buf), out);
}

/* n numbers, a space apart. */
static void
put_nums(FILE *out, const double *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (i)
			fputc(' ', out);
		put_num(out, v[i]);
	}
}

static void
put_attr(FILE *out, const char *name, double x)
{
	fprintf(out, " %s=\"", name);
	put_num(out, x);
	fputc('"', out);
}

static void
put_open(FILE *out, const char *element, const char *cls)
{
	fprintf(out, "<%s", element);
	if (cls && *cls)
		fprintf(out, " class=\"%s\"", cls);
}

static void
put_close(FILE *out, const char *style)
{
	if (style && *style)
		fprintf(out, " %s", style);
	fputs("/>\n", out);
}

void
kpi_svg_begin(struct kpi_svg *s, FILE *out, double width, double height,
	      const char *title)
{
	s->out = out;
	fputs("<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\"", out);
	put_attr(out, "width", width);
	put_attr(out, "height", height);
	fputs(" viewBox=\"", out);
	put_nums(out, (const double[]){ 0, 0, width, height }, 4);
	fputs("\" font-family=\"Helvetica, Arial, 'DejaVu Sans', 'Liberation Sans', sans-serif\""
	      " font-size=\"11\" role=\"img\">\n", out);
	if (title) {
		fputs("<title>", out);
		kpi_svg_escape(out, title);
		fputs("</title>\n", out);
	}
	kpi_svg_rect(s, "background", 0, 0, width, height, "fill=\"#ffffff\"");
}

enum kpi_status
kpi_svg_end(struct kpi_svg *s, struct kpi_error *err)
{
	fputs("</svg>\n", s->out);
	if (ferror(s->out))
		return kpi_error_set(err, KPI_EIO, 0, "write error");
	return KPI_OK;
}

void
kpi_svg_group_begin(struct kpi_svg *s, const char *cls, const char *attrs)
{
	put_open(s->out, "g", cls);
	if (attrs && *attrs)
		fprintf(s->out, " %s", attrs);
	fputs(">\n", s->out);
}

void
kpi_svg_group_end(struct kpi_svg *s)
{
	fputs("</g>\n", s->out);
}

void
kpi_svg_viewport_begin(struct kpi_svg *s, const char *cls, double x, double y,
		       double w, double h)
{
	/* A nested <svg> clips what it holds to its viewport (overflow is
	 * hidden by default: SVG 1.1, 14.3, "overflow"); with a viewBox equal to
	 * its box the coordinates inside stay those of the page.  A
	 * <clipPath> would need an id. */
	put_open(s->out, "svg", cls);
	put_attr(s->out, "x", x);
	put_attr(s->out, "y", y);
	put_attr(s->out, "width", w);
	put_attr(s->out, "height", h);
	fputs(" viewBox=\"", s->out);
	put_nums(s->out, (const double[]){ x, y, w, h }, 4);
	fputs("\" overflow=\"hidden\">\n", s->out);
}

void
kpi_svg_viewport_end(struct kpi_svg *s)
{
	fputs("</svg>\n", s->out);
}

static void
put_rect(struct kpi_svg *s, const char *cls, double x, double y, double w,
	 double h, const char *style)
{
	if (w < 0) {
		x += w;
		w = -w;
	}
	if (h < 0) {
		y += h;
		h = -h;
	}
	put_open(s->out, "rect", cls);
	put_attr(s->out, "x", x);
	put_attr(s->out, "y", y);
	put_attr(s->out, "width", w);
	put_attr(s->out, "height", h);
	if (style && *style)
		fprintf(s->out, " %s", style);
}

void
kpi_svg_rect(struct kpi_svg *s, const char *cls, double x, double y,
	     double w, double h, const char *style)
{
	put_rect(s, cls, x, y, w, h, NULL);
	put_close(s->out, style);
}

void
kpi_svg_rect_titled(struct kpi_svg *s, const char *cls, double x, double y,
		    double w, double h, const char *style, const char *title)
{
	put_rect(s, cls, x, y, w, h, style);
	fputs("><title>", s->out);
	kpi_svg_escape(s->out, title);
	fputs("</title></rect>\n", s->out);
}

void
kpi_svg_line(struct kpi_svg *s, const char *cls, double x1, double y1,
	     double x2, double y2, const char *style)
{
	put_open(s->out, "line", cls);
	put_attr(s->out, "x1", x1);
	put_attr(s->out, "y1", y1);
	put_attr(s->out, "x2", x2);
	put_attr(s->out, "y2", y2);
	put_close(s->out, style);
}

void
kpi_svg_circle(struct kpi_svg *s, const char *cls, double cx, double cy,
	       double r, const char *style)
{
	put_open(s->out, "circle", cls);
	put_attr(s->out, "cx", cx);
	put_attr(s->out, "cy", cy);
	put_attr(s->out, "r", r);
	put_close(s->out, style);
}

void
kpi_svg_poly(struct kpi_svg *s, const char *cls, const double *xs,
	     const double *ys, size_t n, int closed, const char *style)
{
	size_t i;

	put_open(s->out, closed ? "polygon" : "polyline", cls);
	fputs(" points=\"", s->out);
	for (i = 0; i < n; i++) {
		if (i)
			fputc(' ', s->out);
		put_num(s->out, xs[i]);
		fputc(',', s->out);
		put_num(s->out, ys[i]);
	}
	fputc('"', s->out);
	put_close(s->out, style);
}

void
kpi_svg_path(struct kpi_svg *s, const char *cls, const char *d,
	     const char *style)
{
	put_open(s->out, "path", cls);
	fprintf(s->out, " d=\"%s\"", d);
	put_close(s->out, style);
}

void
kpi_svg_text(struct kpi_svg *s, const char *cls, double x, double y,
	     enum kpi_svg_anchor anchor, double size, double rotate,
	     const char *style, const char *text)
{
	static const char *const anchors[] = { "start", "middle", "end" };

	put_open(s->out, "text", cls);
	put_attr(s->out, "x", x);
	put_attr(s->out, "y", y);
	if (anchor != KPI_SVG_START)
		fprintf(s->out, " text-anchor=\"%s\"", anchors[anchor]);
	if (size != 11)
		put_attr(s->out, "font-size", size);
	if (rotate != 0) {
		fputs(" transform=\"rotate(", s->out);
		put_nums(s->out, (const double[]){ rotate, x, y }, 3);
		fputs(")\"", s->out);
	}
	if (style && *style)
		fprintf(s->out, " %s", style);
	fputc('>', s->out);
	kpi_svg_escape(s->out, text);
	fputs("</text>\n", s->out);
}
