// The `.solverstate` loader, as `train --snapshot X.solverstate` resumes: the file is
// read as a SolverState and restored into a small real SGD solver (history blobs,
// iteration, current step, random state) and trained one step further. A learned_net the file names is replaced by
// the fixture's real model, so the harness never opens paths chosen by the input.
import CaffeProto
import FuzzSupport
import SwiftCaffe

let modelPath = Fuzz.fixture("caffe/sgd_steps/sgd_iter_3.caffemodel")

nonisolated(unsafe) let solver: Solver = {
    do {
        var param = try Solver.loadParameter(path: Fuzz.fixture("caffe/sgd_steps/solver.prototxt")).param
        param.net = Fuzz.fixture("caffe/sgd_steps/net.prototxt")
        param.clearSnapshotPrefix()
        return try Solver.make(param: param, random: RandomSource(seed: 1701), log: SolverLog(echo: false))
    } catch {
        fatalError("fuzz harness: cannot build the solver: \(error)")
    }
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSolverstate(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let path = Fuzz.file(Fuzz.bytes(start, count), name: "state.solverstate")
    Fuzz.expectingUserErrors("the .solverstate loader") {
        var state = try Snapshot.readState(path)
        if state.hasLearnedNet && !state.learnedNet.isEmpty { state.learnedNet = modelPath }
        try solver.restore(state, path: path)
        // Training goes on from the restored iteration, step and history.
        try solver.step(1)
    }
    return 0
}

@_cdecl("FuzzSolverstate_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    Fuzz.main(argc, argv) { data, size in fuzzSolverstate(UnsafeRawPointer(data ?? UnsafePointer(bitPattern: 1)!), size) }
}
