// oneDNN's C API (Debian: libdnnl-dev, oneDNN 2.6, built on OpenMP threads).
#include <oneapi/dnnl/dnnl.h>

// DNNL_MEMORY_ALLOCATE is a pointer-valued macro Swift cannot import.
static inline void *swiftcaffe_dnnl_memory_allocate(void) { return DNNL_MEMORY_ALLOCATE; }
