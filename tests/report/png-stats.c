/* png-stats.c - what a screenshot holds, for the render test: size, the
 * share of pixels that are not the background, and the number of colours.
 *
 * Usage: png-stats FILE.png
 * Prints, one "name value" pair a line:
 *   width, height      from the IHDR chunk
 *   background         the most frequent colour, as rrggbbaa in hex
 *   non_background     the fraction of pixels of any other colour
 *   colours            the number of distinct colours (RGBA)
 * Reads 8-bit, non-interlaced greyscale, RGB, palette, grey+alpha and RGBA
 * images, which covers Chromium's screenshots; anything else, a bad CRC or
 * a truncated file is an error (exit 1) naming the file and the problem.
 *
 * The decoding follows the PNG specification (W3C, second edition, 2003):
 * chunk layout and CRC (section 5), IHDR (11.2.2), the zlib stream of the
 * concatenated IDAT chunks (10), and the five scanline filters undone with
 * the byte to the left, above and above-left (9.2, Paeth in 9.4).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* Screenshots of a long page stay well below this; the cap keeps a hostile
 * header from asking for gigabytes. */
enum { MAX_PIXELS = 64 * 1024 * 1024, MAX_IDAT = 1024 * 1024 * 1024 };

struct image {
	uint32_t width, height;
	unsigned colour_type, channels;
	uint8_t palette[256][4];	/* RGBA; tRNS gives alpha, else 255 */
	unsigned palette_size;
	uint8_t *idat;			/* the IDAT chunks' data, concatenated */
	size_t idat_len, idat_cap;
};

struct colour_count {
	uint32_t rgba;
	uint32_t n;			/* 0: empty slot */
};

static const char *path;

static int
fail(const char *msg)
{
	fprintf(stderr, "png-stats: %s: %s\n", path, msg);
	return 1;
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static int
append_idat(struct image *img, const uint8_t *data, uint32_t len)
{
	if (img->idat_len + len > img->idat_cap) {
		size_t cap = img->idat_cap ? img->idat_cap : 65536;
		uint8_t *p;

		while (cap < img->idat_len + len)
			cap *= 2;
		if (cap > MAX_IDAT)
			return -1;
		p = realloc(img->idat, cap);
		if (!p)
			return -1;
		img->idat = p;
		img->idat_cap = cap;
	}
	memcpy(img->idat + img->idat_len, data, len);
	img->idat_len += len;
	return 0;
}

static int
read_header(struct image *img, const uint8_t *d, uint32_t len)
{
	static const unsigned channels_of[7] = { 1, 0, 3, 1, 2, 0, 4 };

	if (len != 13)
		return fail("IHDR is not 13 bytes");
	img->width = be32(d);
	img->height = be32(d + 4);
	img->colour_type = d[9];
	if (img->width == 0 || img->height == 0)
		return fail("image has no pixels");
	if ((uint64_t)img->width * img->height > MAX_PIXELS)
		return fail("image too large");
	if (d[8] != 8)
		return fail("only 8-bit images are read");
	if (img->colour_type > 6 || channels_of[img->colour_type] == 0)
		return fail("unknown colour type");
	if (d[10] != 0 || d[11] != 0)
		return fail("unknown compression or filter method");
	if (d[12] != 0)
		return fail("interlaced images are not read");
	img->channels = channels_of[img->colour_type];
	return 0;
}

/* Reads the chunks up to IEND into img; 0 on success. */
static int
read_chunks(FILE *f, struct image *img)
{
	static const uint8_t signature[8] = { 137, 'P', 'N', 'G', 13, 10, 26, 10 };
	uint8_t head[8], crc_bytes[4], *data = NULL;
	int seen_header = 0, rc = 1;

	if (fread(head, 1, 8, f) != 8 || memcmp(head, signature, 8) != 0)
		return fail("not a PNG file");
	for (;;) {
		uint32_t len, crc;

		if (fread(head, 1, 8, f) != 8) {
			fail("truncated: no IEND chunk");
			break;
		}
		len = be32(head);
		if (len > 0x7fffffff) {
			fail("chunk length out of range");
			break;
		}
		free(data);
		data = malloc(len ? len : 1);
		if (!data) {
			fail(strerror(ENOMEM));
			break;
		}
		if (fread(data, 1, len, f) != len ||
		    fread(crc_bytes, 1, 4, f) != 4) {
			fail("truncated chunk");
			break;
		}
		crc = (uint32_t)crc32(crc32(0, head + 4, 4), data, len);
		if (crc != be32(crc_bytes)) {
			fail("bad chunk CRC");
			break;
		}
		if (!seen_header && memcmp(head + 4, "IHDR", 4) != 0) {
			fail("IHDR is not the first chunk");
			break;
		}
		if (memcmp(head + 4, "IHDR", 4) == 0) {
			if (seen_header || read_header(img, data, len) != 0)
				break;
			seen_header = 1;
		} else if (memcmp(head + 4, "PLTE", 4) == 0) {
			if (len % 3 != 0 || len > 768) {
				fail("bad PLTE chunk");
				break;
			}
			img->palette_size = len / 3;
			for (uint32_t i = 0; i < img->palette_size; i++) {
				memcpy(img->palette[i], data + 3 * i, 3);
				img->palette[i][3] = 255;
			}
		} else if (memcmp(head + 4, "tRNS", 4) == 0 &&
			   img->colour_type == 3) {
			for (uint32_t i = 0; i < len && i < 256; i++)
				img->palette[i][3] = data[i];
		} else if (memcmp(head + 4, "IDAT", 4) == 0) {
			if (append_idat(img, data, len) != 0) {
				fail("too much image data");
				break;
			}
		} else if (memcmp(head + 4, "IEND", 4) == 0) {
			rc = 0;
			break;
		} else if (!(head[4] & 0x20)) {
			fail("unknown critical chunk");
			break;
		}
	}
	free(data);
	if (rc == 0 && img->colour_type == 3 && img->palette_size == 0)
		rc = fail("palette image without PLTE");
	return rc;
}

/* Inflates the IDAT stream into raw, which holds exactly raw_len bytes. */
static int
inflate_idat(const struct image *img, uint8_t *raw, size_t raw_len)
{
	z_stream z;
	int st;

	memset(&z, 0, sizeof(z));
	if (inflateInit(&z) != Z_OK)
		return fail("zlib initialisation failed");
	z.next_in = img->idat;
	z.avail_in = (uInt)img->idat_len;
	z.next_out = raw;
	z.avail_out = (uInt)raw_len;
	st = inflate(&z, Z_FINISH);
	inflateEnd(&z);
	if (st != Z_STREAM_END)
		return fail(z.avail_out == 0 ? "more image data than pixels" :
			    "IDAT data is not a complete zlib stream");
	if (z.avail_out != 0)
		return fail("less image data than pixels");
	return 0;
}

static uint8_t
paeth(uint8_t a, uint8_t b, uint8_t c)
{
	int p = a + b - c;
	int pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);

	if (pa <= pb && pa <= pc)
		return a;
	return pb <= pc ? b : c;
}

/* Undoes the filter of each scanline in place: raw holds height lines of
 * one filter byte and stride bytes. */
static int
unfilter(uint8_t *raw, uint32_t height, size_t stride, unsigned bpp)
{
	const uint8_t *prev = NULL;

	for (uint32_t y = 0; y < height; y++) {
		uint8_t type = raw[y * (stride + 1)];
		uint8_t *line = raw + y * (stride + 1) + 1;

		for (size_t i = 0; i < stride; i++) {
			uint8_t a = i >= bpp ? line[i - bpp] : 0;
			uint8_t b = prev ? prev[i] : 0;
			uint8_t c = prev && i >= bpp ? prev[i - bpp] : 0;

			switch (type) {
			case 0:
				break;
			case 1:
				line[i] += a;
				break;
			case 2:
				line[i] += b;
				break;
			case 3:
				line[i] += (uint8_t)((a + b) / 2);
				break;
			case 4:
				line[i] += paeth(a, b, c);
				break;
			default:
				return fail("unknown scanline filter");
			}
		}
		prev = line;
	}
	return 0;
}

static uint32_t
pixel_rgba(const struct image *img, const uint8_t *px)
{
	uint8_t r, g, b, a = 255;

	switch (img->colour_type) {
	case 0:
		r = g = b = px[0];
		break;
	case 2:
		r = px[0], g = px[1], b = px[2];
		break;
	case 3:
		r = img->palette[px[0]][0], g = img->palette[px[0]][1];
		b = img->palette[px[0]][2], a = img->palette[px[0]][3];
		break;
	case 4:
		r = g = b = px[0];
		a = px[1];
		break;
	default:
		r = px[0], g = px[1], b = px[2];
		a = px[3];
		break;
	}
	return (uint32_t)r << 24 | (uint32_t)g << 16 | (uint32_t)b << 8 | a;
}

/* Counts the pixels of each colour in an open-addressing table of size
 * cap, a power of two larger than the number of pixels, so it never fills. */
static int
count_colours(const struct image *img, const uint8_t *raw, size_t stride,
	      struct colour_count *table, size_t cap)
{
	for (uint32_t y = 0; y < img->height; y++) {
		const uint8_t *line = raw + y * (stride + 1) + 1;

		for (uint32_t x = 0; x < img->width; x++) {
			const uint8_t *px = line + x * img->channels;
			uint32_t rgba = pixel_rgba(img, px);
			size_t h = (rgba * 2654435761u) & (cap - 1);

			if (img->colour_type == 3 && px[0] >= img->palette_size)
				return fail("palette index out of range");

			while (table[h].n && table[h].rgba != rgba)
				h = (h + 1) & (cap - 1);
			table[h].rgba = rgba;
			table[h].n++;
		}
	}
	return 0;
}

static int
report(const struct image *img, const uint8_t *raw, size_t stride)
{
	uint64_t pixels = (uint64_t)img->width * img->height;
	size_t cap = 1024;
	struct colour_count *table, *mode = NULL;
	unsigned long colours = 0;

	while (cap <= pixels)
		cap *= 2;
	table = calloc(cap, sizeof(*table));
	if (!table)
		return fail(strerror(ENOMEM));
	if (count_colours(img, raw, stride, table, cap) != 0) {
		free(table);
		return 1;
	}
	for (size_t i = 0; i < cap; i++) {
		if (!table[i].n)
			continue;
		colours++;
		if (!mode || table[i].n > mode->n ||
		    (table[i].n == mode->n && table[i].rgba < mode->rgba))
			mode = &table[i];
	}
	printf("width %lu\nheight %lu\n", (unsigned long)img->width,
	       (unsigned long)img->height);
	printf("background %08lx\n", (unsigned long)mode->rgba);
	printf("non_background %.6f\n", (double)(pixels - mode->n) / pixels);
	printf("colours %lu\n", colours);
	free(table);
	return 0;
}

int
main(int argc, char **argv)
{
	struct image img;
	uint8_t *raw = NULL;
	size_t stride, raw_len;
	FILE *f;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "Usage: png-stats FILE.png\n");
		return 2;
	}
	path = argv[1];
	f = fopen(path, "rb");
	if (!f)
		return fail(strerror(errno));
	memset(&img, 0, sizeof(img));
	rc = read_chunks(f, &img);
	fclose(f);
	if (rc != 0)
		goto out;
	stride = (size_t)img.width * img.channels;
	raw_len = (stride + 1) * img.height;
	raw = malloc(raw_len);
	if (!raw) {
		rc = fail(strerror(ENOMEM));
		goto out;
	}
	rc = inflate_idat(&img, raw, raw_len);
	if (rc == 0)
		rc = unfilter(raw, img.height, stride, img.channels);
	if (rc == 0)
		rc = report(&img, raw, stride);
	if (rc == 0 && (fflush(stdout) == EOF || ferror(stdout)))
		rc = fail("write error");
out:
	free(raw);
	free(img.idat);
	return rc;
}
