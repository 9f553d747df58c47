/*
 * tools/cmd_generate.c: `bpass generate`, the synthetic data generator.
 *
 * Writes tarballs of gzipped updates into a folder exactly as the real
 * pipeline would have (update-format.md §1): several routers, each with its
 * anonymization context(s) and sessions spanning many tarballs, every file
 * format version 1-5 in proportions that follow the dates, the writer's
 * quirks, lost, late and re-uploaded updates. The same arguments always give
 * byte-identical tarballs. --broken adds a few deliberately broken inputs
 * and lists them on stdout.
 *
 * The pieces: gen_world (names and sites), gen_node (routers and their
 * session plans), gen_sim (the traffic of a session), gen_update (update
 * text), gen_gzip and gen_tar (containers), gen_collect (tarballs).
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "commands.h"
#include "fs.h"
#include "gen_collect.h"
#include "gen_gzip.h"
#include "gen_node.h"
#include "gen_rng.h"
#include "gen_sim.h"
#include "gen_update.h"
#include "gen_world.h"
#include "log.h"
#include "timeutil.h"

/* The default span runs from just after version 1 appeared to mid-2013. */
#define SPAN_DAYS 634
#define LOSS_RATE 0.004          /* single lost uploads */
#define LATE_RATE 0.02           /* updates that arrive 1-3 tarballs late */
#define REUPLOAD_RATE 0.01       /* updates uploaded twice */

struct options {
	const char *out_dir;
	uint64_t seed;
	uint32_t updates;
	uint32_t nodes;
	uint32_t per_tarball;
	uint32_t max_packets;
	bool broken;
	struct gen_span span;
};

enum member_break { MB_NOT_GZIP, MB_EMPTY, MB_TRUNCATED_GZIP, MB_MALFORMED, MB_PREVERSION, MB_KINDS };
static const char *const member_break_names[MB_KINDS] = {
	"not-gzip", "empty-member", "truncated-gzip", "malformed-line", "pre-version",
};
#define BROKEN_ITEMS (MB_KINDS + GEN_BROKEN_TARBALL_KINDS)

struct run {
	const struct options *o;
	struct gen_world world;
	struct gen_collect col;
	struct gen_gzip gz;
	struct gen_update u;
	struct buf text;
	uint32_t *packets;       /* packets per emitted update, for the summary */
	uint32_t n_packets, cap_packets;
	uint64_t updates, reuploads, broken_members, sessions;
};

static void usage(FILE *f)
{
	if (f == stderr) {	/* a usage error: its message is out; say where help is */
		cli_usage_hint("generate");
		return;
	}
	fputs("usage: bpass generate OUT_DIR [options]\n"
	      "\n"
	      "Writes synthetic tarballs of bismark-passive updates into OUT_DIR.\n"
	      "The same options always give byte-identical tarballs.\n"
	      "\n"
	      "options:\n"
	      "  --seed N                 random seed (default 1)\n"
	      "  --updates N              well-formed updates to write, re-uploads not counted (default 1000)\n"
	      "  --nodes N                routers (default 4, at most --updates)\n"
	      "  --start YYYY-MM-DD       first day of the 634-day span (default 2011-10-05)\n"
	      "  --updates-per-tarball N  mean on-time updates per tarball (default 20)\n"
	      "  --max-packets N          packet buffer per update, 1-65536 (default 30000)\n"
	      "  --broken                 add deliberately broken members and tarballs,\n"
	      "                           one line each on stdout: broken KIND TARBALL MEMBER\n"
	      "  -q, --quiet              no summary line\n"
	      "  -h, --help               this help\n", f);
}

static int bad_usage(const char *fmt, const char *arg)
{
	log_error(fmt, arg);
	usage(stderr);
	return EXIT_USAGE;
}

static bool parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	if (!*s || *s == '-' || *s == '+')
		return false;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return false;
	*out = v;
	return true;
}

static bool parse_date(const char *s, int64_t *out)
{
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return false;
	int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	int m = (s[5] - '0') * 10 + (s[6] - '0');
	int d = (s[8] - '0') * 10 + (s[9] - '0');
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (y < 1971 || y > 2100 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return false;
	if (m == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return false;
	*out = gen_days_from_civil(y, (unsigned)m, (unsigned)d) * 86400;
	return true;
}

static int parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{"seed", required_argument, NULL, 's'},
		{"updates", required_argument, NULL, 'u'},
		{"nodes", required_argument, NULL, 'n'},
		{"start", required_argument, NULL, 'S'},
		{"updates-per-tarball", required_argument, NULL, 't'},
		{"max-packets", required_argument, NULL, 'm'},
		{"broken", no_argument, NULL, 'b'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	memset(o, 0, sizeof(*o));
	o->seed = 1;
	o->updates = 1000;
	o->nodes = 4;
	o->per_tarball = 20;
	o->max_packets = 30000;
	o->span.start_s = gen_days_from_civil(2011, 10, 5) * 86400;
	uint64_t v;
	int opt;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":hq", longopts, NULL)) != -1) {
		switch (opt) {
		case 's':
			if (!parse_u64(optarg, UINT64_MAX, &v))
				return bad_usage("invalid --seed \"%s\": expected a non-negative integer", optarg);
			o->seed = v;
			break;
		case 'u':
			if (!parse_u64(optarg, 100000000, &v) || v == 0)
				return bad_usage("invalid --updates \"%s\": expected 1 to 100000000", optarg);
			o->updates = (uint32_t)v;
			break;
		case 'n':
			if (!parse_u64(optarg, 10000, &v) || v == 0)
				return bad_usage("invalid --nodes \"%s\": expected 1 to 10000", optarg);
			o->nodes = (uint32_t)v;
			break;
		case 'S':
			if (!parse_date(optarg, &o->span.start_s))
				return bad_usage("invalid --start \"%s\": expected a date YYYY-MM-DD", optarg);
			break;
		case 't':
			if (!parse_u64(optarg, 100000, &v) || v == 0)
				return bad_usage("invalid --updates-per-tarball \"%s\": expected 1 to 100000", optarg);
			o->per_tarball = (uint32_t)v;
			break;
		case 'm':
			if (!parse_u64(optarg, 65536, &v) || v == 0)
				return bad_usage("invalid --max-packets \"%s\": expected 1 to 65536", optarg);
			o->max_packets = (uint32_t)v;
			break;
		case 'b':
			o->broken = true;
			break;
		case 'q':
			log_set_quiet(true);
			break;
		case 'h':
			usage(stdout);
			return -1;
		case ':':
			return bad_usage("option \"%s\" needs a value", argv[optind - 1]);
		default:
			return bad_usage("unknown option \"%s\"", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return bad_usage("%s", optind >= argc ? "missing OUT_DIR" : "too many arguments");
	o->out_dir = argv[optind];
	if (o->nodes > o->updates)
		o->nodes = o->updates;
	o->span.end_s = o->span.start_s + (int64_t)SPAN_DAYS * 86400;
	o->span.id_salt = (uint32_t)gen_mix64(o->seed ^ 0x6e6f6465ull /* "node" */);
	return 0;
}

/* Writes a deliberately broken member from the update just simulated. */
static int add_broken_member(struct run *R, int kind)
{
	struct gen_update *u = &R->u;
	char name[64];
	gen_update_member_name(u, name);
	if (kind == MB_PREVERSION) {
		u->flaw = GEN_FLAW_PREVERSION;
		u->version = 1;
		u->has_drops = false;
		u->has_http = false;
	} else if (kind == MB_MALFORMED) {
		u->flaw = GEN_FLAW_MALFORMED_A;
	}
	buf_reset(&R->text);
	gen_update_write(u, &R->world, &R->text);
	const void *data = R->text.data;
	size_t len = R->text.len;
	if (kind != MB_NOT_GZIP && kind != MB_EMPTY) {
		if (gen_gzip_compress(&R->gz, R->text.data, R->text.len) < 0)
			return -1;
		data = R->gz.out.data;
		len = R->gz.out.len;
		if (kind == MB_TRUNCATED_GZIP)
			len /= 2;
	}
	if (kind == MB_EMPTY)
		len = 0;
	R->broken_members++;
	return gen_collect_add(&R->col, name, data, len, u->now_s, 0, member_break_names[kind]);
}

static int add_update(struct run *R, struct gen_rng *r)
{
	struct gen_update *u = &R->u;
	buf_reset(&R->text);
	gen_update_write(u, &R->world, &R->text);
	if (gen_gzip_compress(&R->gz, R->text.data, R->text.len) < 0)
		return -1;
	char name[64];
	gen_update_member_name(u, name);
	uint32_t delay = gen_rng_chance(r, LATE_RATE) ? (uint32_t)gen_rng_range(r, 1, 3) : 0;
	if (gen_collect_add(&R->col, name, R->gz.out.data, R->gz.out.len, u->now_s, delay, NULL) < 0)
		return -1;
	if (gen_rng_chance(r, REUPLOAD_RATE)) {
		uint32_t again = delay + (uint32_t)gen_rng_range(r, 1, 2);
		if (gen_collect_add(&R->col, name, R->gz.out.data, R->gz.out.len, u->now_s, again, NULL) < 0)
			return -1;
		R->reuploads++;
	}
	xgrow((void **)&R->packets, &R->cap_packets, R->n_packets + 1, sizeof(*R->packets));
	R->packets[R->n_packets++] = u->n_packets;
	R->updates++;
	return 0;
}

struct trigger {
	uint32_t at;             /* fires once the node has emitted this many updates */
	int kind;                /* enum member_break, or MB_KINDS + enum gen_broken_tarball */
	bool done;
};

static int run_node(struct run *R, uint32_t index)
{
	const struct options *o = R->o;
	struct gen_rng r;
	gen_rng_seed(&r, o->seed, 1000 + (uint64_t)index);
	uint32_t budget = o->updates / o->nodes + (index < o->updates % o->nodes);
	struct gen_node node;
	gen_node_init(&node, index, o->nodes, budget, &o->span, &r);
	struct gen_sim *sim = gen_sim_new(&R->world, &node, o->max_packets);
	gen_collect_begin_node(&R->col, node.id, &r);

	/* The broken items are spread over the nodes, at 30-70% of their updates. */
	struct trigger trig[BROKEN_ITEMS];
	uint32_t n_trig = 0;
	for (uint32_t j = 0; o->broken && j < BROKEN_ITEMS; j++)
		if (j % o->nodes == index)
			trig[n_trig++] = (struct trigger){(uint32_t)((uint64_t)budget * (30 + 40 * j / BROKEN_ITEMS) / 100),
							  (int)j, false};

	int rc = 0;
	uint32_t emitted = 0;
	for (uint32_t i = 0; i < node.n_sessions && rc == 0; i++) {
		const struct gen_session_plan *plan = &node.sessions[i];
		gen_sim_begin(sim, plan, &r);
		uint32_t e = 0, burst_left = plan->burst_len;
		int64_t last_id = 0;
		bool any = false;
		while (e < plan->length && rc == 0) {
			gen_sim_next(sim, &R->u);
			int broken = -1;
			for (uint32_t k = 0; k < n_trig; k++) {
				if (trig[k].done || emitted < trig[k].at)
					continue;
				if (trig[k].kind >= MB_KINDS) {
					gen_collect_break_next(&R->col, (enum gen_broken_tarball)(trig[k].kind - MB_KINDS));
					trig[k].done = true;
				} else if (broken < 0) {
					broken = trig[k].kind;
					trig[k].done = true;
				}
			}
			if (broken >= 0) {
				rc = add_broken_member(R, broken);
				continue;
			}
			bool lost = (uint32_t)R->u.seq < plan->lose_first;
			if (!lost && burst_left && e == plan->burst_at) {
				burst_left--;
				lost = true;
			}
			if (!lost && e > 0 && gen_rng_chance(&r, LOSS_RATE))
				lost = true;
			if (lost)
				continue;
			rc = add_update(R, &r);
			e++;
			emitted++;
			if (!any || R->u.session_id != last_id)
				R->sessions++;
			any = true;
			last_id = R->u.session_id;
		}
	}
	if (rc == 0)
		rc = gen_collect_end_node(&R->col);
	gen_sim_free(sim);
	gen_node_release(&node);
	return rc;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

static void summary(struct run *R, double seconds)
{
	double mean = 0;
	uint32_t median = 0, max = 0;
	if (R->n_packets) {
		uint64_t sum = 0;
		for (uint32_t i = 0; i < R->n_packets; i++)
			sum += R->packets[i];
		mean = (double)sum / R->n_packets;
		qsort(R->packets, R->n_packets, sizeof(*R->packets), cmp_u32);
		median = R->packets[R->n_packets / 2];
		max = R->packets[R->n_packets - 1];
	}
	log_info("generated: tarballs %llu, updates %llu, re-uploads %llu, broken members %llu, "
		 "broken tarballs %u, nodes %u, sessions %llu, bytes %llu, seconds %.2f, "
		 "packets per update mean %.0f median %u max %u",
		 (unsigned long long)R->col.tarballs, (unsigned long long)R->updates,
		 (unsigned long long)R->reuploads, (unsigned long long)R->broken_members,
		 R->col.broken_tarballs, R->o->nodes, (unsigned long long)R->sessions,
		 (unsigned long long)R->col.bytes, seconds, mean, median, max);
}

int cmd_generate(int argc, char **argv)
{
	struct options o;
	int rc = parse_options(argc, argv, &o);
	if (rc == -1)
		return EXIT_OK;
	if (rc)
		return rc;
	if (fs_mkdirs(o.out_dir) < 0) {
		log_error("could not create output folder \"%s\": %s", o.out_dir, strerror(errno));
		return EXIT_FAILURES;
	}

	double t0 = time_monotonic();
	struct run R;
	memset(&R, 0, sizeof(R));
	R.o = &o;
	if (gen_gzip_init(&R.gz) < 0)
		return EXIT_FAILURES;
	gen_world_init(&R.world, o.seed);
	gen_collect_init(&R.col, o.out_dir, o.per_tarball);
	gen_update_init(&R.u);
	buf_init(&R.text);

	rc = 0;
	for (uint32_t i = 0; i < o.nodes && rc == 0; i++)
		rc = run_node(&R, i);
	fflush(stdout);

	double seconds = time_monotonic() - t0;
	if (rc == 0)
		summary(&R, seconds);

	free(R.packets);
	buf_release(&R.text);
	gen_update_release(&R.u);
	gen_collect_release(&R.col);
	gen_world_release(&R.world);
	gen_gzip_release(&R.gz);
	return rc == 0 ? EXIT_OK : EXIT_FAILURES;
}
