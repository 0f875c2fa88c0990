// Counts heap allocations made by the whole process while counting is on.
// The test executable defines malloc & co., which interposes the C library's,
// so every allocation — Swift runtime, Foundation, OpenBLAS, Dispatch — is seen.
#ifndef MALLOC_COUNTER_H
#define MALLOC_COUNTER_H

void malloc_counter_start(void);
/// Stops counting and returns the number of allocations since the last start.
long malloc_counter_stop(void);

#endif
