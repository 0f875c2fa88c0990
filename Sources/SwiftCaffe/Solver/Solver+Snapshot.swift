import CaffeProto
import Foundation

extension Solver {
    /// Writes `<prefix>_iter_<iter>.caffemodel`, then `<prefix>_iter_<iter>.solverstate`
    /// (Caffe's Snapshot), both atomically. Returns their paths.
    @discardableResult
    public func snapshot() throws -> (model: String, state: String) {
        let model = Snapshot.fileName(prefix: snapshotPrefix, iter: iter, extension: ".caffemodel")
        let statePath = Snapshot.fileName(prefix: snapshotPrefix, iter: iter, extension: ".solverstate")
        if let distributed, !distributed.isLeader {
            // Rank 0 writes it: the weights and the state are the same on every rank.
            lastSnapshotState = statePath
            lastSnapshotIter = iter
            return (model, statePath)
        }
        log.info("Snapshotting to binary proto file \(model)")
        let directory = URL(fileURLWithPath: model).deletingLastPathComponent().path
        if !FileManager.default.fileExists(atPath: directory) {
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        try AtomicFile.write(try net.toProto(includeDiffs: param.snapshotDiff).serializedData(), to: model)
        log.info("Snapshotting solver state to binary proto file \(statePath)")
        try AtomicFile.write(try solverState(learnedNet: model).serializedData(), to: statePath)
        try writeRankRecord(state: statePath)
        lastSnapshotState = statePath
        lastSnapshotIter = iter
        return (model, statePath)
    }

    /// The SolverState of the current moment.
    public func solverState(learnedNet: String) -> Caffe_SolverState {
        var state = Caffe_SolverState()
        state.iter = Int32(iter)
        state.learnedNet = learnedNet
        state.currentStep = Int32(currentStep)
        state.history = rule.history.map { Caffe_BlobProto($0) }
        state.rngState = Snapshot.encode(random: random)
        if let plateau { state.plateauState = plateau.state }
        if let reader = dataSources.first { state.dataCursor = reader.examplesConsumed }
        return state
    }

    /// The train net's dataset readers (Data, ImageData), in layer order.
    var dataSources: [ResumableDataSource] {
        net.layers.compactMap { $0 as? ResumableDataSource }
    }

    /// Puts the train net's readers where the interrupted run had them: `data_cursor`
    /// examples into the first reader (the others in proportion to their batch sizes),
    /// or, for a state without it (one written by Caffe), iter × iter_size batches.
    /// Under mpirun the cursor counts the examples of all ranks, so a snapshot written
    /// by N ranks resumes on M (or on one): every rank starts its share of the global
    /// batch at the cursor.
    func restoreDataPosition(_ state: Caffe_SolverState) throws {
        let sources = dataSources
        guard let first = sources.first else { return }
        let firstBatch = Int64(max(first.examplesPerBatch, 1))
        let cursor = state.hasDataCursor
            ? state.dataCursor
            : Int64(state.iter) * Int64(max(param.iterSize, 1)) * firstBatch
        for source in sources { try source.seek(toExample: cursor * Int64(source.examplesPerBatch) / firstBatch) }
        describeResume(state: lastSnapshotState ?? "", cursor: state.hasDataCursor ? state.dataCursor : nil)
    }

    /// Resumes from a `.solverstate` (Caffe's Restore): iteration, current step,
    /// history, random state, plateau state, and the weights of its learned_net (found
    /// next to the state file if the recorded path no longer exists).
    public func restore(from path: String) throws {
        let state = try Snapshot.readState(path)
        try restore(state, path: path)
    }

    public func restore(_ state: Caffe_SolverState, path: String) throws {
        guard state.history.count == rule.history.count else {
            throw SwiftCaffeError(.io,
                "solver state '\(path)' has \(state.history.count) history blobs; this \(rule.type.rawValue) "
                + "solver on this net needs \(rule.history.count)",
                hint: "resume with the same net and solver type that wrote it (or the file is truncated)")
        }
        for (i, proto) in state.history.enumerated() {
            do {
                try rule.history[i].copy(from: proto)
            } catch var error as SwiftCaffeError {
                error.message = "solver state '\(path)', history blob \(i): " + error.message
                throw error
            }
        }
        if state.hasLearnedNet && !state.learnedNet.isEmpty {
            let model = try Snapshot.resolveLearnedNet(state.learnedNet, statePath: path)
            try net.copyTrainedLayers(fromFile: model)
        }
        if state.hasRngState {
            guard let words = Snapshot.decodeRandomState(state.rngState) else {
                throw SwiftCaffeError(.io, "solver state '\(path)' has a corrupt rng_state")
            }
            do {
                try random.restore(words)
            } catch var error as SwiftCaffeError {
                error.message = "solver state '\(path)': " + error.message
                throw error
            }
        }
        if let plateau, state.hasPlateauState { plateau.restore(state.plateauState) }
        lastSnapshotState = path
        try restoreDataPosition(state)
        iter = Int(state.iter)
        currentStep = Int(state.currentStep)
        lastSnapshotState = path
        lastSnapshotIter = iter
    }
}
