// FP32 FMA peak of this machine: each thread runs independent vector FMA chains
// (enough to cover the FMA latency on every port) for a fixed count and the best of
// five rounds is reported. Built by benchmarks/engines.sh with -O2 -march=native.
//
// Usage: fma-peak [threads=2]
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define CHAINS 12
#define ROUNDS (200000000L / 16)

#if defined(__AVX512F__)
typedef __m512 vec;
#define LANES 16
#define SET1 _mm512_set1_ps
#define FMA _mm512_fmadd_ps
#define ADD _mm512_add_ps
#define REDUCE(v) _mm512_reduce_add_ps(v)
static const char *isa = "AVX-512";
#else
typedef __m256 vec;
#define LANES 8
#define SET1 _mm256_set1_ps
#define FMA _mm256_fmadd_ps
#define ADD _mm256_add_ps
static float REDUCE(__m256 v) { float f[8]; _mm256_storeu_ps(f, v); return f[0] + f[7]; }
static const char *isa = "AVX2+FMA";
#endif

// Twelve named accumulators: kept in registers (an array may be spilled to memory).
static void *work(void *out) {
    vec a = SET1(0.999999f), b = SET1(1e-7f);
    vec c0 = SET1(0), c1 = SET1(1), c2 = SET1(2), c3 = SET1(3), c4 = SET1(4), c5 = SET1(5);
    vec c6 = SET1(6), c7 = SET1(7), c8 = SET1(8), c9 = SET1(9), c10 = SET1(10), c11 = SET1(11);
    for (long i = 0; i < ROUNDS; i++) {
        c0 = FMA(c0, a, b); c1 = FMA(c1, a, b); c2 = FMA(c2, a, b); c3 = FMA(c3, a, b);
        c4 = FMA(c4, a, b); c5 = FMA(c5, a, b); c6 = FMA(c6, a, b); c7 = FMA(c7, a, b);
        c8 = FMA(c8, a, b); c9 = FMA(c9, a, b); c10 = FMA(c10, a, b); c11 = FMA(c11, a, b);
        __asm__ volatile("" : "+v"(c0), "+v"(c1), "+v"(c2), "+v"(c3), "+v"(c4), "+v"(c5));
    }
    vec sum = ADD(ADD(ADD(c0, c1), ADD(c2, c3)), ADD(ADD(c4, c5), ADD(c6, c7)));
    sum = ADD(sum, ADD(ADD(c8, c9), ADD(c10, c11)));
    *(float *)out = REDUCE(sum);  // keeps the loop alive
    return NULL;
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 2;
    if (threads < 1 || threads > 256) threads = 2;
    pthread_t ids[256];
    float sink[256];
    double best = 0;
    for (int round = 0; round < 5; round++) {
        double start = now();
        for (int t = 0; t < threads; t++) pthread_create(&ids[t], NULL, work, &sink[t]);
        for (int t = 0; t < threads; t++) pthread_join(ids[t], NULL);
        double seconds = now() - start;
        double gflops = (double)threads * ROUNDS * CHAINS * LANES * 2 / seconds / 1e9;
        if (gflops > best) best = gflops;
    }
    printf("FMA peak (%s, %d threads): %.1f GFLOP/s (checksum %g)\n", isa, threads, best, sink[0]);
    return 0;
}
