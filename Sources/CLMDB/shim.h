// The Lightning Memory-Mapped Database, Caffe's default dataset store (Debian: liblmdb-dev).
#include <lmdb.h>
