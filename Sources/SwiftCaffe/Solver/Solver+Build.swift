import CaffeProto
import Foundation

/// Building a solver's nets from a SolverParameter, as Caffe's InitTrainNet and
/// InitTestNets do: the train net from `net`/`net_param`/`train_net`/`train_net_param`
/// (phase TRAIN unless the net or `train_state` says otherwise), one test net per
/// `test_net`/`test_net_param` and then per remaining `test_iter` from the generic net
/// (phase TEST; `test_state` per test net). Paths are relative to the current directory,
/// as in Caffe.
extension Solver {
    public struct BuildOptions {
        /// Caffe's --level and --stage, applied to the train net's state.
        public var level: Int32?
        public var stages: [String] = []
        /// Data-parallel training under mpirun (nil: one process, as always).
        public var distributed: DataParallel?
        /// The engine of the train and test nets (`--engine`); nil: the solver's string
        /// `engine` field, else each net's own (ComputeEngine lists the precedence).
        public var engine: ComputeEngine?
        public init(level: Int32? = nil, stages: [String] = [], engine: ComputeEngine? = nil,
                    distributed: DataParallel? = nil) {
            self.level = level
            self.stages = stages
            self.engine = engine
            self.distributed = distributed
        }
    }

    /// Builds the train and test nets of `param` with one shared RandomSource, and
    /// the solver over them.
    public static func make(param: Caffe_SolverParameter, options: BuildOptions = BuildOptions(),
                            random: RandomSource, log: SolverLog) throws -> Solver {
        try make(param: param, solverFile: nil, options: options, random: random, log: log)
    }

    /// `solverFile`: where `param` was read from, for the hint of a missing net file.
    static func make(param: Caffe_SolverParameter, solverFile: String?, options: BuildOptions,
                     random: RandomSource, log: SolverLog) throws -> Solver {
        let trainSources = [param.hasNet, param.hasNetParam, param.hasTrainNet, param.hasTrainNetParam].filter { $0 }.count
        guard trainSources == 1 else {
            throw SwiftCaffeError.invalid("net", trainSources == 0
                ? "the solver names no train net" : "the solver names more than one train net",
                hint: "give exactly one of net, net_param, train_net, train_net_param")
        }
        let trainDefinition: NetDefinition
        if param.hasNet {
            log.info("Creating training net from net file: \(param.net)")
            trainDefinition = try loadNet(param.net, field: "net", solverFile: solverFile)
        } else if param.hasTrainNet {
            log.info("Creating training net from train_net file: \(param.trainNet)")
            trainDefinition = try loadNet(param.trainNet, field: "train_net", solverFile: solverFile)
        } else if param.hasNetParam {
            log.info("Creating training net specified in net_param.")
            trainDefinition = try NetDefinition(param: param.netParam)
        } else {
            log.info("Creating training net specified in train_net_param.")
            trainDefinition = try NetDefinition(param: param.trainNetParam)
        }
        // Intel Caffe: the command line's engine replaces the solver's, which replaces the nets'.
        let engine = try options.engine ?? ComputeEngine(engineField: param.engine, field: "engine")
        var trainOptions = NetBuildOptions()
        trainOptions.random = random
        trainOptions.dataShard = options.distributed?.shard ?? .whole
        trainOptions.engine = engine
        let fileState = trainDefinition.param.state
        trainOptions.phase = param.trainState.hasPhase ? param.trainState.phase : (fileState.hasPhase ? fileState.phase : .train)
        trainOptions.level = options.level ?? (param.trainState.hasLevel ? param.trainState.level : nil)
        trainOptions.stages = param.trainState.stage + options.stages
        let net = try NetBuilder.build(trainDefinition, options: trainOptions)

        var testDefinitions: [(NetDefinition, String)] = []
        for p in param.testNetParam { testDefinitions.append((try NetDefinition(param: p), "test_net_param")) }
        for (i, path) in param.testNet.enumerated() {
            let definition = try loadNet(path, field: "test_net[\(i)]", solverFile: solverFile)
            testDefinitions.append((definition, "test_net file: \(path)"))
        }
        let generic = param.testIter.count - testDefinitions.count
        if param.hasNet || param.hasNetParam {
            guard generic >= 0 else {
                throw SwiftCaffeError.invalid("test_iter", "test_iter must be given for each test net")
            }
            for _ in 0..<generic {
                if param.hasNet {
                    testDefinitions.append((trainDefinition, "net file: \(param.net)"))
                } else {
                    testDefinitions.append((trainDefinition, "net_param"))
                }
            }
        } else if generic != 0 {
            throw SwiftCaffeError.invalid("test_iter", "test_iter must be given once per test net "
                                          + "(\(testDefinitions.count) test nets, \(param.testIter.count) test_iter)")
        }
        if !param.testState.isEmpty && param.testState.count != testDefinitions.count {
            throw SwiftCaffeError.invalid("test_state", "test_state must be unspecified or given once per test net")
        }
        var testNets: [Net] = []
        for (i, (definition, source)) in testDefinitions.enumerated() {
            log.info("Creating test net (#\(i)) specified by \(source)")
            var testOptions = NetBuildOptions()
            testOptions.random = random
            testOptions.dataShard = options.distributed?.shard ?? .whole
            testOptions.engine = engine
            testOptions.fillParameters = false  // the train net's weights are shared in
            let state = param.testState.isEmpty ? Caffe_NetState() : param.testState[i]
            let fileState = definition.param.state
            testOptions.phase = state.hasPhase ? state.phase : (fileState.hasPhase ? fileState.phase : .test)
            if state.hasLevel { testOptions.level = state.level }
            testOptions.stages = state.stage
            testNets.append(try NetBuilder.build(definition, options: testOptions))
        }
        let solver = try Solver(param: param, net: net, testNets: testNets, random: random, log: log,
                                distributed: options.distributed)
        log.info("Solver scaffolding done.")
        return solver
    }
}
