// Counts heap allocations made by the whole process while counting is on.
// The test executable defines malloc & co., which interposes the C library's,
// so every allocation — Swift runtime, Foundation, OpenBLAS, Dispatch — is seen.
//
// Allocations made by OpenBLAS itself (its immediate caller is in libopenblas) are
// counted apart: they are not SwiftCaffe's to avoid. OpenBLAS 0.3.21's small-matrix
// sgemm kernels for AVX-512 CPUs (SKYLAKEX, COOPERLAKE) malloc a packing buffer on
// every call, and its threaded sgemm allocates too; which kernel runs depends on the CPU.
#ifndef MALLOC_COUNTER_H
#define MALLOC_COUNTER_H

void malloc_counter_start(void);
/// Stops counting and returns the number of allocations since the last start.
/// Allocations whose immediate caller is in libopenblas are not included.
long malloc_counter_stop(void);
/// Allocations OpenBLAS made itself between the last start and stop.
long malloc_counter_openblas(void);

#endif
