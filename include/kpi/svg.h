/* kpi/svg.h - a small SVG writer: elements with inline presentation
 * attributes, numbers with a fixed precision, text escaped for XML.
 *
 * Output is byte-stable: coordinates are rounded to 0.01 px with integer
 * arithmetic (no printf %f, so neither the locale nor the C library changes
 * a byte), trailing zeros dropped ("12.5", "3", "-0.25").  The writer keeps
 * no ids and no <style> element, so that several charts can be pasted into
 * one HTML page without their names or styles clashing.
 *
 * Errors on the stream are sticky: check ferror(out) (or the result of
 * kpi_svg_end()) once at the end. */
#ifndef KPI_SVG_H
#define KPI_SVG_H

#include <stddef.h>
#include <stdio.h>

#include "kpi/error.h"

/* Longest text kpi_svg_num() writes, NUL included. */
#define KPI_SVG_NUMSZ 32

/* x rounded to 0.01 into buf (KPI_SVG_NUMSZ bytes): "-12.3", "0", "7.05".
 * -0 and values that round to 0 are "0"; NaN and infinities are "0" too
 * (callers never draw them).  Returns the length. */
size_t kpi_svg_num(double x, char *buf);

/* Write text with the five XML special characters escaped (&amp; &lt;
 * &gt; &quot; &apos;), so it is safe in element content and in attribute
 * values.  Bytes that are not valid UTF-8, control characters (other than
 * tab) that XML 1.0 forbids, and the Unicode bidirectional embedding,
 * override and isolate controls (U+202A..U+202E, U+2066..U+2069), which
 * could reorder the text drawn after them, are written as U+FFFD. */
void kpi_svg_escape(FILE *out, const char *s);

/* Number of characters (UTF-8 code points) of s, for width estimates. */
size_t kpi_svg_text_chars(const char *s);

/* Approximate width in px of n characters of a sans-serif font of `size`
 * px: 0.6 em per character, the mean advance of digits and lower-case
 * letters in Helvetica, Arial and DejaVu Sans. */
double kpi_svg_text_width(size_t n, double size);

struct kpi_svg {
	FILE *out;
};

/* <svg> with width, height and viewBox, font-family sans-serif, and a
 * <title> (escaped; may be NULL).  Then a white background rect. */
void kpi_svg_begin(struct kpi_svg *s, FILE *out, double width, double height,
		   const char *title);
/* </svg> and a newline; returns KPI_EIO when the stream has an error. */
enum kpi_status kpi_svg_end(struct kpi_svg *s, struct kpi_error *err);

/* <g class="cls" ...>, where attrs (may be NULL) is written verbatim after
 * the class: trusted text only, never data. */
void kpi_svg_group_begin(struct kpi_svg *s, const char *cls, const char *attrs);
void kpi_svg_group_end(struct kpi_svg *s);
/* A nested <svg class="cls"> over the box (x, y, w, h) whose content is
 * clipped to the box, in the page's coordinates; close it with
 * kpi_svg_viewport_end(). */
void kpi_svg_viewport_begin(struct kpi_svg *s, const char *cls, double x,
			    double y, double w, double h);
void kpi_svg_viewport_end(struct kpi_svg *s);

/* Shapes.  cls is the class attribute, style further presentation
 * attributes written verbatim (trusted text, e.g. `fill="#0072B2"`).
 * A rect with a negative width or height is normalised. */
void kpi_svg_rect(struct kpi_svg *s, const char *cls, double x, double y,
		  double w, double h, const char *style);
void kpi_svg_line(struct kpi_svg *s, const char *cls, double x1, double y1,
		  double x2, double y2, const char *style);
void kpi_svg_circle(struct kpi_svg *s, const char *cls, double cx, double cy,
		    double r, const char *style);
/* A rect as above whose content is a <title> (a tooltip) with text. */
void kpi_svg_rect_titled(struct kpi_svg *s, const char *cls, double x,
			 double y, double w, double h, const char *style,
			 const char *title);

/* <polyline> (closed = 0) or <polygon> (closed = 1) through n points. */
void kpi_svg_poly(struct kpi_svg *s, const char *cls, const double *xs,
		  const double *ys, size_t n, int closed, const char *style);

/* <path> with the path data d (trusted text, built with kpi_svg_num). */
void kpi_svg_path(struct kpi_svg *s, const char *cls, const char *d,
		  const char *style);

enum kpi_svg_anchor {
	KPI_SVG_START,
	KPI_SVG_MIDDLE,
	KPI_SVG_END,
};

/* <text> at (x, y) (the baseline), escaped.  rotate (degrees) turns it
 * about its anchor point; 0 for none. */
void kpi_svg_text(struct kpi_svg *s, const char *cls, double x, double y,
		  enum kpi_svg_anchor anchor, double size, double rotate,
		  const char *style, const char *text);

#endif
