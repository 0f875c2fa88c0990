import Foundation

/// Data-parallel training under mpirun (`distributed` set): what the solver does
/// differently. Every rank runs the same step on its share of each global batch; after
/// backward the gradients are averaged (`GradientAllReduce`), and so are the loss, the
/// displayed outputs, the test scores and the signals' requests, so that every rank
/// makes the same decisions and applies the same update. Rank 0 alone logs and writes
/// snapshots; every `weightCheckInterval` iterations the ranks compare weight checksums.
extension Solver {
    /// Logs the setup and checks that the ranks start from the same weights.
    func startDistributed() throws {
        guard let distributed else { return }
        let batch = dataSources.first.map { $0.examplesPerBatch / distributed.size }
        let iterSize = max(Int(param.iterSize), 1)
        if let batch {
            log.info("Data-parallel training: \(distributed.size) ranks × batch \(batch) × iter_size \(iterSize) "
                     + "= effective batch \(distributed.size * batch * iterSize) (see docs/distributed.md for the lr scaling rule)")
        } else {
            log.info("Data-parallel training on \(distributed.size) ranks: the train net has no Data or ImageData "
                     + "layer, so every rank sees the same examples")
        }
        if let gradients {
            log.info("Gradient all-reduce: \(gradients.bucketCount) bucket\(gradients.bucketCount == 1 ? "" : "s") of up to "
                     + "\(SolverLog.number(Float(distributed.bucketBytes) / 1_048_576)) MB, "
                     + "\(SolverLog.number(Float(gradients.floatsPerIteration * 4) / 1_048_576)) MB per iteration, "
                     + (gradients.overlaps ? "overlapping backward" : "after backward"))
        }
        try distributed.checkWeightsEqual(net.learnableParams, iteration: iter)
    }

    /// After the last backward of an iteration: the mean gradient and the mean loss of all ranks.
    func reduceGradients(loss: Float) throws -> Float {
        net.backwardObserver = nil
        try gradients?.finish()
        return try meanOverRanks(loss)
    }

    /// `value` averaged over the ranks (itself in one process).
    func meanOverRanks(_ value: Float) throws -> Float {
        guard let distributed else { return value }
        return try distributed.world.mean(value)
    }

    /// The train net's outputs for display: averaged over the ranks.
    func trainOutputScores() throws -> [NetScorer.Score] {
        let scores = trainOutputs.current
        guard let distributed else { return scores }
        var values = scores.map { Double($0.value) }
        try distributed.world.sum(&values)
        return scores.indices.map { i in
            NetScorer.Score(name: scores[i].name, value: Float(values[i] / Double(distributed.size)),
                            lossWeight: scores[i].lossWeight)
        }
    }

    /// What all ranks do after this iteration: a snapshot or a stop any rank was asked
    /// for (signals may reach the ranks at different iterations). Allocates nothing.
    func agreed(_ action: SolverAction) throws -> SolverAction {
        guard let distributed else { return action }
        var flags: (Float, Float) = (action.snapshots ? 1 : 0, action.stops ? 1 : 0)
        try withUnsafeMutablePointer(to: &flags) { pair in
            try pair.withMemoryRebound(to: Float.self, capacity: 2) { try distributed.world.sum($0, count: 2) }
        }
        switch (flags.0 > 0, flags.1 > 0) {
        case (true, true): return .snapshotAndStop
        case (true, false): return .snapshot
        case (false, true): return .stop
        case (false, false): return .none
        }
    }

    /// Every `weightCheckInterval` iterations: the ranks' weights must be equal.
    func checkWeightsIfDue() throws {
        guard let distributed, distributed.weightCheckInterval > 0, iter % distributed.weightCheckInterval == 0 else { return }
        try distributed.checkWeightsEqual(net.learnableParams, iteration: iter)
    }

    /// Test batches this rank runs in test net k's pass: global test batch g is rank
    /// g mod N's, so the ranks together run test_iter batches, each once.
    func testShare(_ k: Int) -> Int {
        let batches = Int(param.testIter[k])
        guard let distributed else { return batches }
        let share = DataParallel.share(ofBatches: batches, from: testBatchesDone[k], rank: distributed.rank,
                                       size: distributed.size)
        testBatchesDone[k] += batches
        return share
    }

    /// Sums test net k's scores over the ranks: the means are then over all test_iter
    /// batches (all test examples), not means of the ranks' means.
    func combineTestScores(_ k: Int) throws {
        guard let distributed else { return }
        let scorer = testScorers[k]
        var totals = [Double(scorer.lossSum), Double(scorer.batches)] + scorer.sums.map(Double.init)
        try distributed.world.sum(&totals)
        testScorers[k].replaceTotals(lossSum: Float(totals[0]), batches: Int(totals[1]),
                                     sums: totals.dropFirst(2).map(Float.init))
    }

    // MARK: - The world size beside a snapshot

    /// The file next to a `.solverstate` that says how many ranks wrote it (the
    /// .solverstate itself stays a SolverState Caffe reads).
    public static func rankRecordPath(state: String) -> String { state + ".ranks" }

    /// Rank 0, after writing a snapshot: the world size and each rank's data cursor.
    func writeRankRecord(state: String) throws {
        guard let distributed, let first = dataSources.first else { return }
        let cursor = first.examplesConsumed, batch = first.examplesPerBatch / distributed.size
        var text = "# swiftcaffe train under mpirun: the ranks that wrote \(URL(fileURLWithPath: state).lastPathComponent)\n"
        text += "world_size: \(distributed.size)\nbatch_size: \(batch)\nglobal_data_cursor: \(cursor)\n"
        for r in 0..<distributed.size { text += "rank \(r) data_cursor: \(cursor + Int64(r * batch))\n" }
        try AtomicFile.write(Data(text.utf8), to: Self.rankRecordPath(state: state))
    }

    /// Says how a snapshot's world compares with this one: data cursors are re-derived
    /// from the global position, whatever the number of ranks that wrote it.
    func describeResume(state path: String, cursor: Int64?) {
        let record = try? String(contentsOfFile: Self.rankRecordPath(state: path), encoding: .utf8)
        let written = record?.split(separator: "\n").first { $0.hasPrefix("world_size: ") }
            .flatMap { Int($0.dropFirst("world_size: ".count)) } ?? 1
        let now = distributed?.size ?? 1
        guard written != now || now > 1 else { return }
        var line = "Resuming a snapshot written by \(written) rank\(written == 1 ? "" : "s") on \(now)"
        if let cursor, let first = dataSources.first {
            let batch = first.examplesPerBatch / now
            line += ": global data cursor \(cursor); rank r starts at \(cursor) + r × \(batch)"
        }
        log.info(line)
    }
}
