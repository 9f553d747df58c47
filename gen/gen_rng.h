/*
 * gen/gen_rng.h: the seeded pseudo-random generator of `bpass generate`
 * (xoshiro256**, seeded through splitmix64), with the few distributions the
 * synthetic world needs. Streams are independent: every node of the world
 * draws from its own stream, so changing one node never shifts another.
 * Only integer and IEEE double arithmetic is used, so a seed gives the same
 * numbers on every run of the same build.
 */
#ifndef GEN_GEN_RNG_H
#define GEN_GEN_RNG_H

#include <stdbool.h>
#include <stdint.h>

struct gen_rng {
	uint64_t s[4];
};

/* Seeds r from a seed and a stream number (any values; equal pairs give
 * equal sequences). */
void gen_rng_seed(struct gen_rng *r, uint64_t seed, uint64_t stream);

/* The next 64 random bits. */
uint64_t gen_rng_next(struct gen_rng *r);

/* A uniform integer in [0, n); n must be > 0. */
uint32_t gen_rng_below(struct gen_rng *r, uint32_t n);

/* A uniform integer in [lo, hi] (inclusive); needs lo <= hi. */
int64_t gen_rng_range(struct gen_rng *r, int64_t lo, int64_t hi);

/* A uniform double in [0, 1). */
double gen_rng_unit(struct gen_rng *r);

/* True with probability p. */
bool gen_rng_chance(struct gen_rng *r, double p);

/* An exponential draw with the given mean. */
double gen_rng_exp(struct gen_rng *r, double mean);

/* A log-normal draw: median * exp(sigma * N(0,1)). */
double gen_rng_lognormal(struct gen_rng *r, double median, double sigma);

/* A Poisson draw with mean lambda (inversion; meant for lambda below ~30). */
uint32_t gen_rng_poisson(struct gen_rng *r, double lambda);

/* A Zipf-like rank in [0, n): log-uniform, so rank 0 is the most likely. */
uint32_t gen_rng_rank(struct gen_rng *r, uint32_t n);

/* The splitmix64 finalizer: a fast 64-bit mixing function used for the
 * deterministic "hashes" of the anonymization (gen_anon.h). */
uint64_t gen_mix64(uint64_t x);

#endif
