// HDF5's C API (Debian: libhdf5-dev, the serial flavour). Debian installs the
// headers under hdf5/serial/ and the library as libhdf5_serial, so this path and
// `link "hdf5_serial"` work without -I/-L flags; the headers include each other
// with quotes, which resolves next to hdf5.h.
#include <hdf5/serial/hdf5.h>

// Constants Swift cannot see: they are macros that call H5open() or read a global.
static inline hid_t chdf5_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t chdf5_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t chdf5_ieee_f32le(void) { return H5T_IEEE_F32LE; }
static inline hid_t chdf5_native_int(void) { return H5T_NATIVE_INT; }
static inline hid_t chdf5_std_i32le(void) { return H5T_STD_I32LE; }
static inline hid_t chdf5_default(void) { return H5P_DEFAULT; }
static inline hid_t chdf5_all(void) { return H5S_ALL; }
static inline hid_t chdf5_dataset_create(void) { return H5P_DATASET_CREATE; }
static inline hsize_t chdf5_unlimited(void) { return H5S_UNLIMITED; }
static inline unsigned chdf5_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline unsigned chdf5_acc_rdwr(void) { return H5F_ACC_RDWR; }
static inline unsigned chdf5_acc_trunc(void) { return H5F_ACC_TRUNC; }

// HDF5 prints its error stack to stderr on every failed call unless told not to;
// SwiftCaffe reports failures itself, naming the file and dataset.
static inline void chdf5_silence_errors(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }
