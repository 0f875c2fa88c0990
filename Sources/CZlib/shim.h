// zlib, for gzipped IDX (MNIST) files (Debian: zlib1g-dev).
#include <zlib.h>
