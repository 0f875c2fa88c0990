// Open MPI (Debian: libopenmpi-dev), the engine behind data-parallel training.
// The include path comes from pkg-config's ompi-c (Package.swift).
#include <mpi.h>

// Open MPI's handles are macros on the addresses of library globals
// (`#define MPI_COMM_WORLD OMPI_PREDEFINED_GLOBAL(MPI_Comm, ompi_mpi_comm_world)`),
// which Swift cannot import: these functions give them to Swift.
static inline MPI_Comm swiftcaffe_mpi_comm_world(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype swiftcaffe_mpi_float(void) { return MPI_FLOAT; }
static inline MPI_Datatype swiftcaffe_mpi_double(void) { return MPI_DOUBLE; }
static inline MPI_Op swiftcaffe_mpi_sum(void) { return MPI_SUM; }
static inline MPI_Op swiftcaffe_mpi_min(void) { return MPI_MIN; }
static inline MPI_Op swiftcaffe_mpi_max(void) { return MPI_MAX; }
static inline void *swiftcaffe_mpi_in_place(void) { return MPI_IN_PLACE; }
static inline MPI_Request swiftcaffe_mpi_request_null(void) { return MPI_REQUEST_NULL; }
static inline MPI_Status *swiftcaffe_mpi_statuses_ignore(void) { return MPI_STATUSES_IGNORE; }
