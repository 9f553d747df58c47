/*
 * gen/gen_rng.c: xoshiro256** seeded by splitmix64, and the distributions
 * used by the synthetic data generator (see gen_rng.h).
 */
#include "gen_rng.h"

#include <math.h>

uint64_t gen_mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

void gen_rng_seed(struct gen_rng *r, uint64_t seed, uint64_t stream)
{
	uint64_t x = gen_mix64(seed) ^ gen_mix64(stream * 0x632be59bd9b4e019ull + 1);
	for (int i = 0; i < 4; i++) {
		x = gen_mix64(x + (uint64_t)i);
		r->s[i] = x;
	}
	if (!(r->s[0] | r->s[1] | r->s[2] | r->s[3]))
		r->s[0] = 1;
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t gen_rng_next(struct gen_rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

uint32_t gen_rng_below(struct gen_rng *r, uint32_t n)
{
	/* Lemire's multiply-shift; the tiny bias is irrelevant here. */
	return (uint32_t)(((gen_rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

int64_t gen_rng_range(struct gen_rng *r, int64_t lo, int64_t hi)
{
	uint64_t span = (uint64_t)(hi - lo) + 1;
	if (span == 0)
		return (int64_t)gen_rng_next(r);
	return lo + (int64_t)(gen_rng_next(r) % span);
}

double gen_rng_unit(struct gen_rng *r)
{
	return (double)(gen_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

bool gen_rng_chance(struct gen_rng *r, double p)
{
	return gen_rng_unit(r) < p;
}

double gen_rng_exp(struct gen_rng *r, double mean)
{
	return -mean * log(1.0 - gen_rng_unit(r));
}

double gen_rng_lognormal(struct gen_rng *r, double median, double sigma)
{
	/* Box-Muller, one value per call (the second is dropped for simplicity). */
	double u1 = 1.0 - gen_rng_unit(r);
	double u2 = gen_rng_unit(r);
	double z = sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
	return median * exp(sigma * z);
}

uint32_t gen_rng_poisson(struct gen_rng *r, double lambda)
{
	if (lambda <= 0)
		return 0;
	double l = exp(-lambda), p = 1.0;
	uint32_t k = 0;
	do {
		k++;
		p *= gen_rng_unit(r);
	} while (p > l && k < 1000);
	return k - 1;
}

uint32_t gen_rng_rank(struct gen_rng *r, uint32_t n)
{
	if (n <= 1)
		return 0;
	uint32_t k = (uint32_t)exp(gen_rng_unit(r) * log((double)n + 1.0)) - 1;
	return k < n ? k : n - 1;
}
