/*
 * index/update_parse.c: the text parser for bismark-passive updates of file
 * format versions 1-5 (update-format.md §2-§5, with every quirk of §12).
 *
 * One pass over the text, line by line. A line is found with memchr, its
 * trailing spaces, tabs and CRs are trimmed, and an empty line ends the
 * current section: sections are purely positional, so several empty lines
 * in a row are several (empty) sections and are never collapsed. A line
 * holding only spaces or tabs is malformed content, not a separator. Fields
 * are runs of non-blank bytes separated by runs of spaces or tabs; every
 * line kind has an exact field count and every number a range, checked by a
 * table-driven field reader with hand-written digit loops (64-bit parse,
 * then the field's range). Strings stay in the text: the byte after each
 * string field becomes a NUL once its line has been read in full. When the
 * text does not end in a newline, the last line is copied into the update
 * buffer's scratch bytes so that its last field can be NUL-terminated too
 * (text[len] is never touched).
 *
 * Version-dependent layout: v1 has sections 0-7; v2-v3 add the drop
 * statistics without a terminating empty line, with an HTTP block glued on
 * (recognized by a line that has not exactly 2 fields or ends in a space);
 * v4-v5 terminate the drop section and give HTTP a section of its own.
 * Missing trailing sections (8 and 9) are fine; sections beyond the layout
 * are skipped with a warning; empty lines at the very end are harmless.
 *
 * Deliberate choices where the reference reader is looser or crashes:
 * header lines need their exact field count too (Python ignored extra
 * tokens); the signature must be 40 lowercase hex or UNANONYMIZED (which
 * gives the context BPASS_UNANONYMIZED); the build id is the whole line
 * (trailing blanks trimmed); a NUL byte anywhere is an error; numbers are
 * an optional '-' and digits (no '+'); sequence numbers are never negative
 * (the writer counts from 0; a session holding negative ones could never be
 * processed from its update 0); HTTP errors are errors in every
 * version; v2-v3 have has_drop_stats when drop lines or HTTP are present,
 * v4-v5 when section 8 exists.
 *
 * Speed: packet lines (most of an update) take a fused path that reads
 * "DELTA SIZE FLOW\n" straight from the text without looking for the line
 * end first, and flow lines one that reads the canonical form; both fall
 * back to the general path for anything unusual, which accepts or
 * diagnoses it, so they change no result. About 25 µs for 40 KB with 1000
 * packet lines on one core of the 2-core test machine.
 *
 * Errors name the section, the 1-based line and what was wrong; the update
 * is then left empty (update_buf_clear).
 */
#include "update.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define NODE_ID_MAX SESSION_NODE_ID_MAX
#define SIGNATURE_LEN 40
#define MAX_FIELDS 8

/*
 * The longest text fields, at what the router can write, so that a hostile
 * or corrupt file cannot store a 50 MB "field" (update-format.md section in
 * brackets): a longer one makes the update malformed at its line.
 *   build id        256   a compile-time string, "UNKNOWN" in nearly every
 *                         update [4.1]; no build had one near this long
 *   domain names   1024   whitelist entries, A-record domains, CNAME names:
 *                         the writer decodes names with dn_expand into
 *                         char[MAXDNAME] (1025 bytes) [4.6, 4.7], and a longer
 *                         whitelist entry could never match one [4.2]
 *   IPs              16   hex digits of a 64-bit hash, 8 when clear [6.3]
 *   MACs             12   hex digits [4.8, 6.4]
 *   HTTP URL field 1024   a 40-hex hash of a request target truncated to
 *                         1023 characters [4.10]
 * The node id has its own limit (NODE_ID_MAX) and message.
 */
#define BUILD_ID_MAX 256
#define DNAME_MAX 1024
#define IP_MAX 16
#define MAC_MAX 12
#define URL_FIELD_MAX 1024

/* ---------------------------------------------------------------------------
 * Line kinds: field types and ranges
 */

enum field_type { F_INT, F_U64, F_STR };

struct field {
	const char *name;
	enum field_type type;
	int64_t min, max;      /* F_INT: the range; F_STR: max is the longest length */
};

struct line_spec {
	const char *kind;      /* "<kind> line has N fields, expected M" */
	int n;
	struct field f[MAX_FIELDS];
};

#define I32 INT32_MIN, INT32_MAX
#define I64 INT64_MIN, INT64_MAX
#define U32 0, UINT32_MAX
#define U16 0, 65535
#define FLAG 0, 1
#define STR(name, maxlen) { name, F_STR, 0, maxlen }

static const struct line_spec spec_version = { "version", 1, {
	{ "version", F_INT, I64 } } };
static const struct line_spec spec_node = { "node/session", 4, {
	STR("node id", INT64_MAX), { "session id", F_INT, I64 }, { "sequence number", F_INT, 0, INT32_MAX },
	{ "timestamp", F_INT, I64 } } };
static const struct line_spec spec_pcap = { "pcap statistics", 3, {
	{ "received", F_INT, U32 }, { "dropped", F_INT, U32 },
	{ "interface dropped", F_INT, U32 } } };
static const struct line_spec spec_whitelist = { "whitelist", 1, { STR("domain", DNAME_MAX) } };
static const struct line_spec spec_packet_header = { "packet series header", 2, {
	{ "first packet time", F_INT, I64 }, { "dropped", F_INT, U32 } } };
static const struct line_spec spec_packet = { "packet", 3, {
	{ "delta", F_INT, I32 }, { "size", F_INT, U16 }, { "flow id", F_INT, -1, 65535 } } };
static const struct line_spec spec_flow_header = { "flow table header", 4, {
	{ "baseline", F_INT, I64 }, { "occupancy", F_INT, U32 }, { "expired", F_INT, U32 },
	{ "dropped", F_INT, U32 } } };
static const struct line_spec spec_flow = { "flow", 8, {
	{ "flow id", F_INT, U16 }, { "source flag", F_INT, FLAG }, STR("source ip", IP_MAX),
	{ "destination flag", F_INT, FLAG }, STR("destination ip", IP_MAX),
	{ "protocol", F_INT, 0, 255 }, { "source port", F_INT, U16 },
	{ "destination port", F_INT, U16 } } };
static const struct line_spec spec_dns_header = { "DNS header", 2, {
	{ "dropped A records", F_INT, U32 }, { "dropped CNAME records", F_INT, U32 } } };
static const struct line_spec spec_a = { "A record", 6, {
	{ "packet id", F_INT, U16 }, { "address id", F_INT, 0, 255 },
	{ "anonymized flag", F_INT, FLAG }, STR("domain", DNAME_MAX), STR("ip", IP_MAX),
	{ "ttl", F_INT, I32 } } };
static const struct line_spec spec_cname7 = { "CNAME", 7, {
	{ "packet id", F_INT, U16 }, { "address id", F_INT, 0, 255 },
	{ "domain flag", F_INT, FLAG }, STR("domain", DNAME_MAX), { "cname flag", F_INT, FLAG },
	STR("cname", DNAME_MAX), { "ttl", F_INT, I32 } } };
static const struct line_spec spec_cname6 = { "CNAME", 6, {
	{ "packet id", F_INT, U16 }, { "address id", F_INT, 0, 255 },
	{ "anonymized flag", F_INT, FLAG }, STR("domain", DNAME_MAX), STR("cname", DNAME_MAX),
	{ "ttl", F_INT, I32 } } };
static const struct line_spec spec_address_header = { "address table header", 2, {
	{ "first id", F_INT, U32 }, { "capacity", F_INT, 1, UINT32_MAX } } };
static const struct line_spec spec_address = { "address", 2, { STR("mac", MAC_MAX), STR("ip", IP_MAX) } };
static const struct line_spec spec_drop = { "drop statistics", 2, {
	{ "size", F_INT, U32 }, { "count", F_U64, 0, 0 } } };
static const struct line_spec spec_http_header = { "HTTP header", 1, {
	{ "dropped", F_INT, U32 } } };
static const struct line_spec spec_http = { "HTTP URL", 3, {
	{ "flow id", F_INT, U16 }, { "reserved", F_INT, U32 }, STR("hash", URL_FIELD_MAX) } };

/* ---------------------------------------------------------------------------
 * Parser state and errors
 */

struct parser {
	struct update_buf *b;
	struct bpass_update *u;
	struct update_error *err;
	int section;            /* current section number (may exceed 9) */
	uint32_t line;          /* current 1-based line number */
	uint32_t sec_lines;     /* content lines read so far in the section */
	bool trailing_ws;       /* the current line ended in spaces or tabs */
	bool glued_http;        /* v2-v3: HTTP block started inside section 8 */
	bool has_section8;      /* section 8 was present (terminated or with lines) */
	int64_t t_us;           /* running packet time */
	const char *lim;        /* bytes before lim are readable (the line's buffer) */
	uint32_t extra_sections, extra_line;
	/* The fields of the line just read. */
	int64_t v[MAX_FIELDS];
	uint64_t v64;           /* the F_U64 field */
	char *s[MAX_FIELDS];
};

/* The number of sections in the layout of a version (extra ones are skipped). */
static int layout_sections(int version)
{
	return version == 1 ? 8 : 10;
}

static bool is_extra(struct parser *ps)
{
	return ps->section >= layout_sections(ps->u->version) ||
	       (ps->section == UPDATE_SECTION_HTTP && ps->glued_http);
}

static int fail_at(struct parser *ps, int section, uint32_t line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail_at(struct parser *ps, int section, uint32_t line, const char *fmt, ...)
{
	va_list ap;
	if (section > UPDATE_SECTION_HTTP ||
	    (section == ps->section && section >= 0 && is_extra(ps)))
		section = UPDATE_SECTION_EXTRA;
	else if (section == UPDATE_SECTION_DROPS && ps->glued_http)
		section = UPDATE_SECTION_HTTP;  /* inside the glued v2-v3 HTTP block */
	ps->err->section = section;
	ps->err->line = line;
	va_start(ap, fmt);
	vsnprintf(ps->err->msg, sizeof(ps->err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

#define fail(ps, ...) fail_at((ps), (ps)->section, (ps)->line, __VA_ARGS__)

static inline bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Bytes that can end a token: blanks, and what can follow a trimmed line. */
static const unsigned char token_stop[256] = {
	[' '] = 1, ['\t'] = 1, ['\r'] = 1, ['\n'] = 1, [0] = 1,
};

/*
 * The end of the token at p in a line ending at e (e[0] is a stop byte).
 * Bytes up to lim are readable: eight at a time are tested for any byte
 * below '!' (every stop byte is), then the exact stop is found bytewise.
 */
static inline char *token_end(char *p, const char *e, const char *lim)
{
	while (lim - p >= 8) {
		uint64_t x;
		memcpy(&x, p, 8);
		if ((x - 0x2121212121212121ull) & ~x & 0x8080808080808080ull)
			break;
		p += 8;
	}
	for (;;) {
		while (!token_stop[(unsigned char)*p])
			p++;
		if (p >= e || is_blank(*p))
			return p;
		p++;  /* a CR inside the line is part of the token */
	}
}

/* Reads 1 to maxd digits at *pp (e[0] ends them); false otherwise. */
static inline bool quick_digits(char **pp, int maxd, uint64_t *v)
{
	char *p = *pp, *d0 = p;
	uint64_t x = 0;
	while ((unsigned char)(*p - '0') < 10) {
		x = x * 10 + (unsigned)(*p - '0');
		p++;
	}
	if (p == d0 || p - d0 > maxd)
		return false;
	*pp = p;
	*v = x;
	return true;
}

/* A field separator when diagnosing: blanks (and NUL, which never reaches a
 * line: the text is checked for NULs up front). */
static inline bool is_sep(char c)
{
	return c == ' ' || c == '\t' || c == 0;
}

/* Copies up to 32 bytes of [s, e) into out as printable text for messages. */
static const char *quote(const char *s, const char *e, char out[48])
{
	size_t n = 0;
	for (; s < e && n < 32; s++)
		out[n++] = (*s >= ' ' && *s <= '~') ? *s : '?';
	if (s < e) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = 0;
	return out;
}

/* What scan_digits returns. */
enum scan_result {
	SCAN_OK = 0,
	SCAN_NOT_A_NUMBER = -1,
	SCAN_TOO_LARGE = -2,     /* more than 64 bits of magnitude */
};

/*
 * Reads a decimal integer at [p, e): an optional '-' then digits, up to the
 * next blank or e. e[0] must be readable and not a digit (the parser
 * guarantees it: a trimmed line ends before a blank, CR, LF or NUL), so the
 * digit loop needs no bound check. Returns SCAN_OK and sets *end, *neg,
 * *mag, or SCAN_NOT_A_NUMBER, or SCAN_TOO_LARGE.
 */
static inline int scan_digits(const char *p, const char *e, const char **end, bool *neg,
			      uint64_t *mag)
{
	*neg = false;
	if (p < e && *p == '-') {
		*neg = true;
		p++;
	}
	const char *d0 = p;
	uint64_t v = 0;
	while ((unsigned char)(*p - '0') < 10) {
		v = v * 10 + (unsigned)(*p - '0');  /* may wrap: checked below */
		p++;
	}
	if (p == d0 || p > e || (p < e && !is_blank(*p)))
		return SCAN_NOT_A_NUMBER;
	*end = p;
	if (p - d0 > 18) {
		/* Beyond 10^18 - 1 the quick loop may have wrapped: redo with checks. */
		v = 0;
		for (const char *q = d0; q < p; q++)
			if (__builtin_mul_overflow(v, 10u, &v) ||
			    __builtin_add_overflow(v, (unsigned)(*q - '0'), &v))
				return SCAN_TOO_LARGE;
	}
	*mag = v;
	return SCAN_OK;
}

/* Converts a scanned integer to int64 within [min, max]; false when outside. */
static inline bool to_range(bool neg, uint64_t mag, int64_t min, int64_t max, int64_t *out)
{
	int64_t x;
	if (neg) {
		if (mag > (uint64_t)INT64_MAX + 1)
			return false;
		x = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
	} else {
		if (mag > (uint64_t)INT64_MAX)
			return false;
		x = (int64_t)mag;
	}
	if (x < min || x > max)
		return false;
	*out = x;
	return true;
}

static uint32_t count_fields(const char *s, const char *e)
{
	uint32_t n = 0;
	while (s < e) {
		while (s < e && is_sep(*s))
			s++;
		if (s == e)
			break;
		n++;
		while (s < e && !is_sep(*s))
			s++;
	}
	return n;
}

/* The slow path after a line failed to read: says which rule it broke. */
static int diagnose(struct parser *ps, const struct line_spec *sp, const char *s, const char *e)
{
	uint32_t n = count_fields(s, e);
	if (n != (uint32_t)sp->n)
		return fail(ps, "%s line has %u field%s, expected %d", sp->kind, n,
			    n == 1 ? "" : "s", sp->n);
	char q[48];
	for (int i = 0; i < sp->n; i++) {
		const struct field *f = &sp->f[i];
		while (s < e && is_sep(*s))
			s++;
		const char *t = s;
		while (s < e && !is_sep(*s))
			s++;
		if (f->type == F_STR) {
			if (s - t > f->max)
				return fail(ps, "%s line field %d (%s) is %zu characters long, "
					    "expected at most %lld", sp->kind, i + 1, f->name,
					    (size_t)(s - t), (long long)f->max);
			continue;
		}
		const char *end;
		bool neg;
		uint64_t mag;
		int64_t x;
		int r = scan_digits(t, s, &end, &neg, &mag);
		if (r == SCAN_NOT_A_NUMBER)
			return fail(ps, "%s line field %d (%s) is not a number: \"%s\"", sp->kind,
				    i + 1, f->name, quote(t, s, q));
		if (f->type == F_U64) {
			if (r == SCAN_TOO_LARGE || (neg && mag))
				return fail(ps, "%s line field %d (%s) is out of range: %s "
					    "(expected 0 to %llu)", sp->kind, i + 1, f->name,
					    quote(t, s, q), (unsigned long long)UINT64_MAX);
			continue;
		}
		if (r == SCAN_TOO_LARGE || !to_range(neg, mag, f->min, f->max, &x))
			return fail(ps, "%s line field %d (%s) is out of range: %s "
				    "(expected %lld to %lld)", sp->kind, i + 1, f->name,
				    quote(t, s, q), (long long)f->min, (long long)f->max);
	}
	return fail(ps, "%s line is malformed", sp->kind); /* not reached */
}

/*
 * Reads the line [s, e) (trimmed, not empty) as sp into ps->v / ps->v64 /
 * ps->s. String fields are NUL-terminated only when the whole line is good,
 * so a failed attempt leaves the text as it was. Returns 0, or -1 with the
 * error set when diag, or -1 silently when not.
 */
static int read_fields(struct parser *ps, const struct line_spec *sp, char *s, char *e, bool diag)
{
	char *p = s;
	char *ends[MAX_FIELDS];
	for (int i = 0; i < sp->n; i++) {
		const struct field *f = &sp->f[i];
		while (is_blank(*p))  /* stops at e[0] at the latest, or at a trailing LF */
			p++;
		if (p >= e)
			goto bad;
		if (f->type == F_STR) {
			ps->s[i] = p;
			p = token_end(p, e, ps->lim);
			if (p - ps->s[i] > f->max)
				goto bad;
			ends[i] = p;
			continue;
		}
		const char *end;
		bool neg;
		uint64_t mag;
		if (scan_digits(p, e, &end, &neg, &mag) != SCAN_OK)
			goto bad;
		if (f->type == F_U64) {
			if (neg && mag)
				goto bad;
			ps->v64 = mag;
		} else if (!to_range(neg, mag, f->min, f->max, &ps->v[i])) {
			goto bad;
		}
		ends[i] = NULL;
		p = (char *)end;
	}
	if (p != e)
		goto bad;
	for (int i = 0; i < sp->n; i++)
		if (sp->f[i].type == F_STR)
			*ends[i] = 0;
	return 0;
bad:
	return diag ? diagnose(ps, sp, s, e) : -1;
}

#define GROW(b, arr, cap, n) \
	do { \
		if ((n) >= (b)->cap) \
			xgrow((void **)&(b)->arr, &(b)->cap, (n) + 1, sizeof(*(b)->arr)); \
	} while (0)

/* ---------------------------------------------------------------------------
 * Sections
 */

static int intro_line(struct parser *ps, char *s, char *e)
{
	struct bpass_update *u = ps->u;
	char q[48];
	switch (ps->sec_lines) {
	case 0: {
		/* Line 1 must be a pure integer; a pre-version file starts with its node id. */
		const char *v = s, *t;
		while (is_blank(*v))
			v++;
		for (t = v; t < e && !is_blank(*t); t++)
			;
		const char *end;
		bool neg;
		uint64_t mag;
		if (scan_digits(v, t, &end, &neg, &mag) == SCAN_NOT_A_NUMBER)
			return fail(ps, "no version line: line 1 is \"%s\" (an update from before "
				    "version 1?)", quote(s, e, q));
		if (read_fields(ps, &spec_version, s, e, true))
			return -1;
		if (ps->v[0] < 1 || ps->v[0] > 5)
			return fail(ps, "unsupported file format version %lld (expected 1 to 5)",
				    (long long)ps->v[0]);
		u->version = (int32_t)ps->v[0];
		return 0;
	}
	case 1:
		if (e - s > BUILD_ID_MAX)
			return fail(ps, "build id is %zu characters long, expected at most %d",
				    (size_t)(e - s), BUILD_ID_MAX);
		*e = 0;        /* the whole line is the build id */
		u->build_id = s;
		return 0;
	case 2:
		if (read_fields(ps, &spec_node, s, e, true))
			return -1;
		if (strlen(ps->s[0]) > NODE_ID_MAX)
			return fail(ps, "node id is %zu characters long, expected at most %d",
				    strlen(ps->s[0]), NODE_ID_MAX);
		u->node_id = ps->s[0];
		u->session_id = ps->v[1];
		u->sequence = (int32_t)ps->v[2];
		u->timestamp_s = ps->v[3];
		return 0;
	case 3:
		if (read_fields(ps, &spec_pcap, s, e, true))
			return -1;
		u->has_pcap = true;
		u->pcap_received = (uint32_t)ps->v[0];
		u->pcap_dropped = (uint32_t)ps->v[1];
		u->iface_dropped = (uint32_t)ps->v[2];
		return 0;
	default:
		return fail(ps, "intro has more than 4 lines (missing empty line after it?)");
	}
}

static int whitelist_line(struct parser *ps, char *s, char *e)
{
	if (read_fields(ps, &spec_whitelist, s, e, true))
		return -1;
	struct update_buf *b = ps->b;
	GROW(b, whitelist, cap_whitelist, ps->u->n_whitelist);
	b->whitelist[ps->u->n_whitelist++] = ps->s[0];
	return 0;
}

/* 40 lowercase hex digits: HMAC-SHA1(key, key) as the router prints it. */
static bool is_signature(const char *s, const char *e)
{
	if (e - s != SIGNATURE_LEN)
		return false;
	for (; s < e; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

static int signature_line(struct parser *ps, char *s, char *e)
{
	char q[48];
	if (ps->sec_lines)
		return fail(ps, "anonymization signature section has more than 1 line");
	while (is_blank(*s))
		s++;
	size_t n = (size_t)(e - s);
	if (n == strlen(BPASS_UNANONYMIZED) && !memcmp(s, BPASS_UNANONYMIZED, n)) {
		ps->u->context = BPASS_UNANONYMIZED;
		ps->u->anonymized = false;
	} else if (is_signature(s, e)) {
		*e = 0;
		ps->u->context = s;
		ps->u->anonymized = true;
	} else {
		return fail(ps, "anonymization signature \"%s\" is neither 40 lowercase hex "
			    "digits nor UNANONYMIZED", quote(s, e, q));
	}
	return 0;
}

/*
 * The fast path for the common packet line, "DELTA SIZE FLOW" with single
 * spaces and values in range; anything else (false) takes the general path,
 * which accepts or diagnoses it.
 */
static inline bool packet_quick(char *p, char *e, int64_t *delta, int64_t *size, int64_t *flow)
{
	uint64_t d, sz, fl;
	bool neg = *p == '-';
	p += neg;
	if (!quick_digits(&p, 10, &d) || *p != ' ' || d > (uint64_t)INT32_MAX + neg)
		return false;
	p++;
	if (!quick_digits(&p, 5, &sz) || *p != ' ' || sz > 65535)
		return false;
	p++;
	bool fneg = *p == '-';
	p += fneg;
	if (!quick_digits(&p, 5, &fl) || p != e || (fneg ? fl != 1 : fl > 65535))
		return false;
	*delta = neg ? -(int64_t)d : (int64_t)d;
	*size = (int64_t)sz;
	*flow = fneg ? -1 : (int64_t)fl;
	return true;
}

/* Reads 1 to maxd digits at *pp, looking at no more than maxd + 1 bytes. */
static inline bool bounded_digits(const char **pp, int maxd, uint64_t *v)
{
	const char *p = *pp;
	uint64_t x = 0;
	int n = 0;
	while (n <= maxd && (unsigned char)(p[n] - '0') < 10) {
		x = x * 10 + (unsigned)(p[n] - '0');
		n++;
	}
	if (!n || n > maxd)
		return false;
	*pp = p + n;
	*v = x;
	return true;
}

/* The longest packet line the fused path reads: "-" 11 " " 6 " -" 6 "\n". */
#define PACKET_WINDOW 32

/*
 * The fused fast path of the packet series, tried by the driver before it
 * even looks for the line's end: a line exactly "DELTA SIZE FLOW\n" with
 * single spaces and values in range is stored and *pp moves past its
 * newline. The caller guarantees PACKET_WINDOW readable bytes at *pp.
 * Returns false (nothing done) for anything else.
 */
static inline bool packet_fused(struct parser *ps, char **pp)
{
	const char *p = *pp;
	uint64_t d, sz, fl;
	bool neg = *p == '-';
	p += neg;
	if (!bounded_digits(&p, 10, &d) || *p != ' ' || d > (uint64_t)INT32_MAX + neg)
		return false;
	p++;
	if (!bounded_digits(&p, 5, &sz) || *p != ' ' || sz > 65535)
		return false;
	p++;
	bool fneg = *p == '-';
	p += fneg;
	if (!bounded_digits(&p, 5, &fl) || *p != '\n' || (fneg ? fl != 1 : fl > 65535))
		return false;
	int64_t delta = neg ? -(int64_t)d : (int64_t)d;
	int64_t t;
	if (__builtin_add_overflow(ps->t_us, delta, &t))
		return false;  /* the general path reports it */
	struct bpass_update *u = ps->u;
	struct update_buf *b = ps->b;
	GROW(b, packets, cap_packets, u->n_packets);
	struct bpass_packet *pk = &b->packets[u->n_packets++];
	ps->t_us = t;
	pk->time_us = t;
	pk->size = (uint16_t)sz;
	pk->flow_id = fneg ? -1 : (int32_t)fl;
	*pp = (char *)p + 1;
	return true;
}

static int packet_line(struct parser *ps, char *s, char *e)
{
	struct bpass_update *u = ps->u;
	if (!ps->sec_lines) {
		if (read_fields(ps, &spec_packet_header, s, e, true))
			return -1;
		u->packets_first_us = ps->v[0];
		u->packets_dropped = (uint32_t)ps->v[1];
		ps->t_us = ps->v[0];
		return 0;
	}
	int64_t delta, size, flow;
	if (!packet_quick(s, e, &delta, &size, &flow)) {
		if (read_fields(ps, &spec_packet, s, e, true))
			return -1;
		delta = ps->v[0];
		size = ps->v[1];
		flow = ps->v[2];
	}
	if (__builtin_add_overflow(ps->t_us, delta, &ps->t_us))
		return fail(ps, "packet time overflows 64 bits");
	struct update_buf *b = ps->b;
	GROW(b, packets, cap_packets, u->n_packets);
	struct bpass_packet *pk = &b->packets[u->n_packets++];
	pk->time_us = ps->t_us;
	pk->size = (uint16_t)size;
	pk->flow_id = (int32_t)flow;
	return 0;
}

/* The fast path for the common flow line (single spaces, flags 0/1). */
static inline bool flow_quick(char *p, char *e, const char *lim, struct bpass_flow *f)
{
	uint64_t id, proto, sport, dport;
	char *ip[2], *ip_end[2];
	uint8_t flag[2];
	if (!quick_digits(&p, 5, &id) || id > 65535 || *p != ' ')
		return false;
	p++;
	for (int k = 0; k < 2; k++) {
		if ((*p != '0' && *p != '1') || p[1] != ' ')
			return false;
		flag[k] = (uint8_t)(*p - '0');
		p += 2;
		ip[k] = p;
		p = token_end(p, e, lim);
		if (p == ip[k] || p - ip[k] > IP_MAX || p >= e || *p != ' ')
			return false;
		ip_end[k] = p++;
	}
	if (!quick_digits(&p, 3, &proto) || proto > 255 || *p != ' ')
		return false;
	p++;
	if (!quick_digits(&p, 5, &sport) || sport > 65535 || *p != ' ')
		return false;
	p++;
	if (!quick_digits(&p, 5, &dport) || dport > 65535 || p != e)
		return false;
	*ip_end[0] = 0;
	*ip_end[1] = 0;
	f->flow_id = (int32_t)id;
	f->src_anon = flag[0];
	f->src_ip = ip[0];
	f->dst_anon = flag[1];
	f->dst_ip = ip[1];
	f->proto = (uint8_t)proto;
	f->src_port = (uint16_t)sport;
	f->dst_port = (uint16_t)dport;
	return true;
}

static int flow_line(struct parser *ps, char *s, char *e)
{
	struct bpass_update *u = ps->u;
	if (!ps->sec_lines) {
		if (read_fields(ps, &spec_flow_header, s, e, true))
			return -1;
		u->flows_baseline_s = ps->v[0];
		u->flows_occupancy = (uint32_t)ps->v[1];
		u->flows_expired = (uint32_t)ps->v[2];
		u->flows_dropped = (uint32_t)ps->v[3];
		return 0;
	}
	struct update_buf *b = ps->b;
	GROW(b, flows, cap_flows, u->n_flows);
	struct bpass_flow *f = &b->flows[u->n_flows];
	if (flow_quick(s, e, ps->lim, f)) {
		u->n_flows++;
		return 0;
	}
	if (read_fields(ps, &spec_flow, s, e, true))
		return -1;
	u->n_flows++;
	f->flow_id = (int32_t)ps->v[0];
	f->src_anon = (uint8_t)ps->v[1];
	f->src_ip = ps->s[2];
	f->dst_anon = (uint8_t)ps->v[3];
	f->dst_ip = ps->s[4];
	f->proto = (uint8_t)ps->v[5];
	f->src_port = (uint16_t)ps->v[6];
	f->dst_port = (uint16_t)ps->v[7];
	return 0;
}

static int a_line(struct parser *ps, char *s, char *e)
{
	struct bpass_update *u = ps->u;
	if (!ps->sec_lines) {
		if (read_fields(ps, &spec_dns_header, s, e, true))
			return -1;
		u->dns_dropped_a = (uint32_t)ps->v[0];
		u->dns_dropped_cname = (uint32_t)ps->v[1];
		return 0;
	}
	if (read_fields(ps, &spec_a, s, e, true))
		return -1;
	struct update_buf *b = ps->b;
	GROW(b, a_records, cap_a_records, u->n_a_records);
	struct bpass_a_record *r = &b->a_records[u->n_a_records++];
	r->packet_id = (uint32_t)ps->v[0];
	r->address_id = (uint32_t)ps->v[1];
	r->anonymized = (uint8_t)ps->v[2];
	r->domain = ps->s[3];
	r->ip = ps->s[4];
	r->ttl = (int32_t)ps->v[5];
	return 0;
}

static int cname_line(struct parser *ps, char *s, char *e)
{
	struct bpass_update *u = ps->u;
	struct update_buf *b = ps->b;
	bool legacy = false;
	if (read_fields(ps, &spec_cname7, s, e, false)) {
		/* 7 fields is the current form, 6 the v1-v2 one with a single flag. */
		uint32_t n = count_fields(s, e);
		if (n == 7)
			return read_fields(ps, &spec_cname7, s, e, true);
		if (n != 6)
			return fail(ps, "CNAME line has %u field%s, expected 6 or 7", n,
				    n == 1 ? "" : "s");
		if (read_fields(ps, &spec_cname6, s, e, true))
			return -1;
		legacy = true;
	}
	GROW(b, cname_records, cap_cname_records, u->n_cname_records);
	struct bpass_cname_record *r = &b->cname_records[u->n_cname_records++];
	r->packet_id = (uint32_t)ps->v[0];
	r->address_id = (uint32_t)ps->v[1];
	r->domain_anonymized = (uint8_t)ps->v[2];
	r->domain = ps->s[3];
	r->legacy = legacy;
	if (legacy) {
		r->cname_anonymized = r->domain_anonymized;
		r->cname = ps->s[4];
		r->ttl = (int32_t)ps->v[5];
	} else {
		r->cname_anonymized = (uint8_t)ps->v[4];
		r->cname = ps->s[5];
		r->ttl = (int32_t)ps->v[6];
	}
	return 0;
}

static int address_line(struct parser *ps, char *s, char *e)
{
	struct bpass_update *u = ps->u;
	if (!ps->sec_lines) {
		if (read_fields(ps, &spec_address_header, s, e, true))
			return -1;
		u->addresses_first_id = (uint32_t)ps->v[0];
		u->addresses_capacity = (uint32_t)ps->v[1];
		return 0;
	}
	if (read_fields(ps, &spec_address, s, e, true))
		return -1;
	struct update_buf *b = ps->b;
	GROW(b, addresses, cap_addresses, u->n_addresses);
	struct bpass_address *a = &b->addresses[u->n_addresses++];
	a->mac = ps->s[0];
	a->ip = ps->s[1];
	return 0;
}

static int drop_line(struct parser *ps, char *s, char *e)
{
	struct bpass_update *u = ps->u;
	if (read_fields(ps, &spec_drop, s, e, true))
		return -1;
	struct update_buf *b = ps->b;
	GROW(b, drop_stats, cap_drop_stats, u->n_drop_stats);
	struct bpass_drop_stat *d = &b->drop_stats[u->n_drop_stats++];
	d->size = (uint32_t)ps->v[0];
	d->count = ps->v64;
	return 0;
}

/* An HTTP line; header is true for the block's first line. */
static int http_line(struct parser *ps, char *s, char *e, bool header)
{
	struct bpass_update *u = ps->u;
	if (header) {
		if (read_fields(ps, &spec_http_header, s, e, true))
			return -1;
		u->has_http = true;
		u->http_dropped = (uint32_t)ps->v[0];
		return 0;
	}
	if (read_fields(ps, &spec_http, s, e, true))
		return -1;
	struct update_buf *b = ps->b;
	GROW(b, http_urls, cap_http_urls, u->n_http_urls);
	struct bpass_http_url *h = &b->http_urls[u->n_http_urls++];
	h->flow_id = (int32_t)ps->v[0];
	h->reserved = (uint32_t)ps->v[1];
	h->hash = ps->s[2];
	return 0;
}

/* Section 8 in v2-v3: drop lines until a line that is not exactly two
 * fields, or ends in a blank, starts the glued HTTP block. */
static int glued_line(struct parser *ps, char *s, char *e)
{
	if (ps->glued_http)
		return http_line(ps, s, e, false);
	if (!ps->trailing_ws && count_fields(s, e) == 2)
		return drop_line(ps, s, e);
	ps->glued_http = true;
	return http_line(ps, s, e, true);
}

static int content_line(struct parser *ps, char *s, char *e)
{
	if (is_extra(ps)) {
		if (!ps->sec_lines) {
			if (!ps->extra_sections)
				ps->extra_line = ps->line;
			ps->extra_sections++;
		}
		return 0;
	}
	switch (ps->section) {
	case UPDATE_SECTION_INTRO:
		return intro_line(ps, s, e);
	case UPDATE_SECTION_WHITELIST:
		return whitelist_line(ps, s, e);
	case UPDATE_SECTION_SIGNATURE:
		return signature_line(ps, s, e);
	case UPDATE_SECTION_PACKETS:
		return packet_line(ps, s, e);
	case UPDATE_SECTION_FLOWS:
		return flow_line(ps, s, e);
	case UPDATE_SECTION_DNS_A:
		return a_line(ps, s, e);
	case UPDATE_SECTION_DNS_CNAME:
		return cname_line(ps, s, e);
	case UPDATE_SECTION_ADDRESSES:
		return address_line(ps, s, e);
	case UPDATE_SECTION_DROPS:
		if (ps->u->version <= 3)
			return glued_line(ps, s, e);
		return drop_line(ps, s, e);
	default: /* UPDATE_SECTION_HTTP */
		return http_line(ps, s, e, ps->sec_lines == 0);
	}
}

/* Ends the current section (at an empty line, or at the end of the text
 * when it has lines) and checks what it needed. */
static int end_section(struct parser *ps, bool at_eof)
{
	uint32_t n = ps->sec_lines;
	switch (ps->section) {
	case UPDATE_SECTION_INTRO:
		if (!n)
			return fail(ps, "update starts with an empty line, expected the version number");
		if (at_eof && n < 3)
			return fail(ps, "update ends after line %u, in the intro", ps->line);
		if (n == 1)
			return fail_at(ps, UPDATE_SECTION_INTRO, 2, "empty build id line");
		if (n == 2)
			return fail(ps, "intro has 2 lines, expected 3 or 4 (no node/session line)");
		break;
	case UPDATE_SECTION_SIGNATURE:
		if (!n)
			return fail(ps, "anonymization signature section is empty");
		break;
	case UPDATE_SECTION_PACKETS:
	case UPDATE_SECTION_FLOWS:
	case UPDATE_SECTION_DNS_A:
	case UPDATE_SECTION_ADDRESSES:
		if (!n)
			return fail(ps, "%s section is empty, expected a header line",
				    update_section_name(ps->section));
		break;
	case UPDATE_SECTION_DROPS:
		if (!is_extra(ps))
			ps->has_section8 = true;
		break;
	default:
		break;
	}
	ps->section++;
	ps->sec_lines = 0;
	return 0;
}

/* ---------------------------------------------------------------------------
 * The driver
 */

static int parse_lines(struct parser *ps, char *text, size_t len)
{
	char *end = text + len;
	const char *nul = memchr(text, 0, len);
	char *p = text;
	while (p < end) {
		if (ps->section == UPDATE_SECTION_PACKETS && ps->sec_lines &&
		    end - p >= PACKET_WINDOW && (!nul || nul >= p + PACKET_WINDOW) &&
		    packet_fused(ps, &p)) {
			ps->line++;
			ps->sec_lines++;
			continue;
		}
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *s = p, *e = nl ? nl : end;
		ps->line++;
		if (nul && nul < e)
			return fail(ps, "line contains a NUL byte");
		p = nl ? nl + 1 : end;
		if (!nl) {
			/* No newline after the last line: give its fields room for a NUL. */
			struct buf *sc = &ps->b->scratch;
			buf_reset(sc);
			buf_append(sc, s, (size_t)(e - s));
			s = sc->data;
			e = s + sc->len;
			ps->lim = e + 1;
		} else {
			ps->lim = end;
		}
		bool ws = false;
		while (e > s && (is_blank(e[-1]) || e[-1] == '\r')) {
			ws |= e[-1] != '\r';
			e--;
		}
		if (e == s) {
			if (ws)
				return fail(ps, "line holds only blanks (an empty line must be empty)");
			if (end_section(ps, false))
				return -1;
			continue;
		}
		ps->trailing_ws = ws;
		if (content_line(ps, s, e))
			return -1;
		ps->sec_lines++;
	}
	if (ps->sec_lines && end_section(ps, true))
		return -1;
	return 0;
}

int update_parse(struct update_buf *b, char *text, size_t len, struct update_error *err)
{
	struct update_error dummy;
	if (!err)
		err = &dummy;
	err->section = UPDATE_SECTION_NONE;
	err->line = 0;
	err->msg[0] = 0;
	err->warning[0] = 0;
	update_buf_clear(b);

	struct parser ps;
	memset(&ps, 0, sizeof(ps));
	ps.b = b;
	ps.u = &b->u;
	ps.err = err;
	if (!len || !text) {
		fail_at(&ps, UPDATE_SECTION_INTRO, 1, "update is empty");
		goto failed;
	}
	if (parse_lines(&ps, text, len))
		goto failed;
	if (ps.section <= UPDATE_SECTION_ADDRESSES) {
		/* ps.section is the first section that never started (never the
		 * intro: the first line either starts it or is an error). */
		fail_at(&ps, ps.section, ps.line, "update ends before the %s section",
			update_section_name(ps.section));
		goto failed;
	}

	struct bpass_update *u = &b->u;
	if (u->version >= 2) {
		if (u->version <= 3)
			u->has_drop_stats = u->n_drop_stats > 0 || u->has_http;
		else
			u->has_drop_stats = ps.has_section8;
	}
	u->whitelist = (const char *const *)b->whitelist;
	u->packets = b->packets;
	u->flows = b->flows;
	u->a_records = b->a_records;
	u->cname_records = b->cname_records;
	u->addresses = b->addresses;
	u->drop_stats = b->drop_stats;
	u->http_urls = b->http_urls;
	if (ps.extra_sections)
		snprintf(err->warning, sizeof(err->warning),
			 "ignored %u extra section%s from line %u on, beyond the layout of "
			 "version %d", ps.extra_sections, ps.extra_sections == 1 ? "" : "s",
			 ps.extra_line, u->version);
	return 0;

failed:
	update_buf_clear(b);
	return -1;
}
