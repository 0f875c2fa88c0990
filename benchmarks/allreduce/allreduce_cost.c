// All-reduce cost against message size, measured with the same Open MPI calls
// swiftcaffe train uses for its gradient buckets (MPI_Allreduce/MPI_Iallreduce,
// MPI_IN_PLACE, MPI_FLOAT, MPI_SUM). Built and run by benchmarks/allreduce-cost.sh:
//   mpirun -np N allreduce_cost MB [MB ...]
// For each size: the median over repetitions of the in-place sum of MB megabytes of
// floats, in ms, on rank 0, and the effective bus bandwidth 2(N-1)/N * bytes / time.
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (rank == 0) printf("ranks  MB      median_ms  min_ms  bus_GB/s\n");
    for (int a = 1; a < argc; a++) {
        double mb = atof(argv[a]);
        size_t count = (size_t)(mb * 1048576.0 / sizeof(float));
        float *buffer = malloc(count * sizeof(float));
        for (size_t i = 0; i < count; i++) buffer[i] = (float)(i % 97) * 0.01f;
        int repetitions = mb >= 64 ? 5 : mb >= 4 ? 11 : 31;
        double times[31];
        MPI_Allreduce(MPI_IN_PLACE, buffer, (int)count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);  // warm-up
        for (int r = 0; r < repetitions; r++) {
            MPI_Barrier(MPI_COMM_WORLD);
            double start = MPI_Wtime();
            MPI_Allreduce(MPI_IN_PLACE, buffer, (int)count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
            double local = MPI_Wtime() - start, slowest;
            MPI_Allreduce(&local, &slowest, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
            times[r] = slowest;
        }
        qsort(times, repetitions, sizeof(double), compare);
        double median = times[repetitions / 2];
        double bus = 2.0 * (size - 1) / size * (double)(count * sizeof(float)) / median / 1e9;
        if (rank == 0) printf("%-6d %-7.3g %-10.3f %-7.3f %.2f\n", size, mb, median * 1e3, times[0] * 1e3, bus);
        free(buffer);
    }
    MPI_Finalize();
    return 0;
}
