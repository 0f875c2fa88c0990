// Counts heap allocations made while counting is on by the threads that run a net:
// the thread that calls malloc_counter_start and the threads that joined
// malloc_counter_track_in_barrier (the worker pool's; see Support/AllocationCounter).
// Threads left over from other tests (a Dispatch thread reading a pipe, Foundation's
// process monitor) are not counted: they allocate whenever they like. The test
// executable defines malloc & co., which interposes the C library's, so every
// allocation of those threads — Swift runtime, Foundation, Dispatch — is seen.
//
// Allocations made by OpenBLAS itself (its immediate caller is in libopenblas) are
// counted apart: they are not SwiftCaffe's to avoid. OpenBLAS 0.3.21's small-matrix
// sgemm kernels for AVX-512 CPUs (SKYLAKEX, COOPERLAKE) malloc a packing buffer on
// every call, and its threaded sgemm allocates too; which kernel runs depends on the CPU.
#ifndef MALLOC_COUNTER_H
#define MALLOC_COUNTER_H

/// 1 when allocations are counted; 0 in sanitizer builds, where malloc is the sanitizer's.
int malloc_counter_available(void);
void malloc_counter_start(void);
/// Stops counting and returns the number of allocations since the last start.
/// Allocations whose immediate caller is in libopenblas are not included.
long malloc_counter_stop(void);
/// Allocations OpenBLAS made itself between the last start and stop.
long malloc_counter_openblas(void);

/// Marks the calling thread as counted, then waits until `participants` threads have
/// called it since the last reset (so that each of them runs one call); returns 0 if
/// they did not all arrive within 5 seconds.
int malloc_counter_track_in_barrier(int participants);
void malloc_counter_barrier_reset(void);
int malloc_counter_barrier_arrivals(void);

/// Heap bytes in use in the whole process (glibc's mallinfo2: arenas plus mmapped
/// chunks), for tests that check a loop leaks nothing.
long malloc_counter_bytes_in_use(void);

#endif
