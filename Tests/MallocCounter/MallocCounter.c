#define _GNU_SOURCE
#include <stddef.h>
#include <stdatomic.h>
#include <errno.h>
#include <dlfcn.h>
#include <string.h>
#include <sched.h>
#include <time.h>
#include <malloc.h>
#include "MallocCounter.h"

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);
extern void *__libc_memalign(size_t alignment, size_t size);
extern void __libc_free(void *pointer);

static atomic_long allocations = 0;
static atomic_long openblasAllocations = 0;
static atomic_int counting = 0;
/// Whether this thread's allocations count: the thread that calls start, and the
/// threads that joined `malloc_counter_track_in_barrier` (the worker pool's).
static _Thread_local int tracked = 0;
static atomic_int arrivals = 0;

/// Whether `caller` (a return address) lies in OpenBLAS's shared library. Only asked
/// while counting; dladdr looks the address up in the loader's tables without allocating.
static int inOpenBLAS(void *caller) {
    Dl_info info;
    if (caller == NULL || dladdr(caller, &info) == 0 || info.dli_fname == NULL) return 0;
    return strstr(info.dli_fname, "libopenblas") != NULL;
}

static inline void note(void *caller) {
    if (tracked && atomic_load_explicit(&counting, memory_order_relaxed)) {
        atomic_long *counter = inOpenBLAS(caller) ? &openblasAllocations : &allocations;
        atomic_fetch_add_explicit(counter, 1, memory_order_relaxed);
    }
}

#define CALLER __builtin_return_address(0)

// Under AddressSanitizer or ThreadSanitizer (scripts/test --sanitize) the sanitizer's
// own allocator must see every allocation; replacing malloc with the C library's would
// hide them (and give TSan false races on reused memory), so counting is compiled out.
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define MALLOC_COUNTER_DISABLED 1
#endif
#endif

#ifdef MALLOC_COUNTER_DISABLED
int malloc_counter_available(void) { return 0; }
#else
int malloc_counter_available(void) { return 1; }

void *malloc(size_t size) { note(CALLER); return __libc_malloc(size); }
void *calloc(size_t count, size_t size) { note(CALLER); return __libc_calloc(count, size); }
void *realloc(void *pointer, size_t size) { note(CALLER); return __libc_realloc(pointer, size); }
void free(void *pointer) { __libc_free(pointer); }
void *memalign(size_t alignment, size_t size) { note(CALLER); return __libc_memalign(alignment, size); }
void *aligned_alloc(size_t alignment, size_t size) { note(CALLER); return __libc_memalign(alignment, size); }
int posix_memalign(void **result, size_t alignment, size_t size) {
    note(CALLER);
    void *pointer = __libc_memalign(alignment, size);
    if (pointer == NULL) return ENOMEM;
    *result = pointer;
    return 0;
}
#endif

void malloc_counter_start(void) {
    tracked = 1;
    atomic_store(&allocations, 0);
    atomic_store(&openblasAllocations, 0);
    atomic_store(&counting, 1);
}

long malloc_counter_stop(void) {
    atomic_store(&counting, 0);
    return atomic_load(&allocations);
}

long malloc_counter_openblas(void) {
    return atomic_load(&openblasAllocations);
}

void malloc_counter_barrier_reset(void) {
    atomic_store(&arrivals, 0);
}

int malloc_counter_track_in_barrier(int participants) {
    tracked = 1;
    atomic_fetch_add(&arrivals, 1);
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    while (atomic_load(&arrivals) < participants) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - start.tv_sec > 5) return 0;
        sched_yield();
    }
    return 1;
}

int malloc_counter_barrier_arrivals(void) {
    return atomic_load(&arrivals);
}

long malloc_counter_bytes_in_use(void) {
    struct mallinfo2 info = mallinfo2();
    return (long)(info.uordblks + info.hblkhd);
}
