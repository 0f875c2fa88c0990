import CMPI
import Foundation

/// The processes of one `mpirun` job (Open MPI's MPI_COMM_WORLD), as data-parallel
/// training uses them: blocking sums and gathers of a few numbers, and the non-blocking
/// gradient sums of `GradientAllReduce`. MPI is initialised only when a run asks for it
/// (`start()`), so a process that is not under mpirun never touches MPI.
///
/// Open MPI's default error handler (MPI_ERRORS_ARE_FATAL) ends the whole job on a
/// failed call, and mpirun ends it when a rank dies: no call here can wait forever on a
/// rank that is gone.
public final class MPIWorld {
    /// This process's rank, 0 ..< size.
    public let rank: Int
    /// Number of processes in the job.
    public let size: Int
    let communicator: MPI_Comm?

    /// Whether this process was started by Open MPI's mpirun (or another launcher that
    /// sets its environment): then `swiftcaffe train` trains data-parallel.
    public static func isUnderMPIRun(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        environment["OMPI_COMM_WORLD_SIZE"] != nil || environment["PMIX_RANK"] != nil
    }

    /// Initialises MPI (once per process) and returns the world.
    public static func start() throws -> MPIWorld {
        var initialized: Int32 = 0
        MPI_Initialized(&initialized)
        if initialized == 0 {
            guard MPI_Init(nil, nil) == MPI_SUCCESS else {
                throw SwiftCaffeError(.io, "MPI_Init failed", hint: "start the job with mpirun (Open MPI, Debian: openmpi-bin)")
            }
        }
        let world = swiftcaffe_mpi_comm_world()
        var rank: Int32 = 0, size: Int32 = 1
        MPI_Comm_rank(world, &rank)
        MPI_Comm_size(world, &size)
        return MPIWorld(rank: Int(rank), size: Int(size), communicator: world)
    }

    private init(rank: Int, size: Int, communicator: MPI_Comm?) {
        self.rank = rank
        self.size = size
        self.communicator = communicator
    }

    /// Ends MPI after a successful run (every rank must call it).
    public func finish() {
        var finalized: Int32 = 0
        MPI_Finalized(&finalized)
        if finalized == 0 { MPI_Finalize() }
    }

    /// Sums `values` over all ranks, in place, waiting for the result.
    public func sum(_ values: UnsafeMutablePointer<Float>, count: Int) throws {
        try check(MPI_Allreduce(swiftcaffe_mpi_in_place(), values, Int32(count), swiftcaffe_mpi_float(),
                                swiftcaffe_mpi_sum(), communicator), "MPI_Allreduce")
    }

    /// Sums `values` over all ranks, in place (doubles: test scores, counts).
    public func sum(_ values: inout [Double]) throws {
        let count = Int32(values.count)
        try values.withUnsafeMutableBufferPointer { buffer in
            try check(MPI_Allreduce(swiftcaffe_mpi_in_place(), buffer.baseAddress, count, swiftcaffe_mpi_double(),
                                    swiftcaffe_mpi_sum(), communicator), "MPI_Allreduce")
        }
    }

    /// The mean of `value` over all ranks. Allocates nothing.
    public func mean(_ value: Float) throws -> Float {
        var total = value
        try withUnsafeMutablePointer(to: &total) { try sum($0, count: 1) }
        return total / Float(size)
    }

    /// Every rank's `value`, in rank order.
    public func gather(_ value: Double) throws -> [Double] {
        var mine = value
        var all = Array(repeating: 0.0, count: size)
        try all.withUnsafeMutableBufferPointer { buffer in
            try check(MPI_Allgather(&mine, 1, swiftcaffe_mpi_double(), buffer.baseAddress, 1,
                                    swiftcaffe_mpi_double(), communicator), "MPI_Allgather")
        }
        return all
    }

    /// Starts summing `count` floats at `values` over all ranks, in place.
    func startSum(_ values: UnsafeMutablePointer<Float>, count: Int, request: UnsafeMutablePointer<MPI_Request?>) throws {
        try check(MPI_Iallreduce(swiftcaffe_mpi_in_place(), values, Int32(count), swiftcaffe_mpi_float(),
                                 swiftcaffe_mpi_sum(), communicator, request), "MPI_Iallreduce")
    }

    /// Lets MPI progress the started sums (Open MPI moves non-blocking collectives only
    /// inside MPI calls); true when all `count` requests are complete.
    func poll(_ requests: UnsafeMutablePointer<MPI_Request?>, count: Int) throws -> Bool {
        var done: Int32 = 0
        try check(MPI_Testall(Int32(count), requests, &done, swiftcaffe_mpi_statuses_ignore()), "MPI_Testall")
        return done != 0
    }

    /// Waits for all `count` requests.
    func wait(_ requests: UnsafeMutablePointer<MPI_Request?>, count: Int) throws {
        try check(MPI_Waitall(Int32(count), requests, swiftcaffe_mpi_statuses_ignore()), "MPI_Waitall")
    }

    private func check(_ code: Int32, _ call: String) throws {
        guard code == MPI_SUCCESS else {
            throw SwiftCaffeError(.io, "\(call) failed with MPI error \(code) on rank \(rank) of \(size)")
        }
    }
}
