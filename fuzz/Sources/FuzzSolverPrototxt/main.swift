// The solver reader, as `swiftcaffe train --solver S` starts: the prototxt is parsed
// and checked, legacy solver_type is upgraded, and the solver is built with every
// field as written (policy, update rule, test settings, average_loss, …), except
// that the nets it names are replaced by one small real net and the snapshot prefix
// is kept inside the harness's scratch folder, so the input chooses no paths.
import CaffeProto
import FuzzSupport
import SwiftCaffe

let netPath = Fuzz.fixture("caffe/sgd_steps/net.prototxt")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSolverPrototxt(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let path = Fuzz.file(Fuzz.bytes(start, count), name: "solver.prototxt")
    Fuzz.expectingUserErrors("the solver reader") {
        var definition = try Solver.load(path: path)
        var param = definition.param
        let namesANet = param.hasNet || param.hasNetParam || param.hasTrainNet || param.hasTrainNetParam
        param.clearNetParam()
        param.clearTrainNet()
        param.clearTrainNetParam()
        param.testNet = []
        param.testNetParam = []
        if namesANet { param.net = netPath }
        // Each test_iter entry builds one more test net: a few are enough.
        param.testIter = Array(param.testIter.prefix(2))
        if param.hasSnapshotPrefix { param.snapshotPrefix = Fuzz.scratch + "/snapshot" }
        definition.param = param
        let solver = try Solver.make(definition: definition, random: RandomSource(seed: 1701),
                                     log: SolverLog(echo: false))
        _ = solver.learningRate()
        for iter in [0, 1, Int(param.maxIter)] {
            _ = LearningRatePolicy.rate(param, iter: iter)
        }
    }
    return 0
}

@_cdecl("FuzzSolverPrototxt_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    Fuzz.main(argc, argv) { data, size in fuzzSolverPrototxt(UnsafeRawPointer(data ?? UnsafePointer(bitPattern: 1)!), size) }
}
