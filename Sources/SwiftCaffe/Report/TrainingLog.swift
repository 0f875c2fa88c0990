import Foundation

/// What a training log says about a run: the displayed loss, the train and test net
/// outputs and the learning rate at each iteration, with seconds since training
/// started when the log carries timestamps (Caffe's glog lines do, and so do the
/// files `swiftcaffe train --log` writes; its standard output has none).
///
/// Reads `swiftcaffe train`'s log and Caffe's own (`caffe train … 2>&1 | tee log`);
/// lines it does not need (net set-up, snapshots, warnings) are skipped, so a log may
/// be cut anywhere, still growing, or hold several runs one after another.
public struct TrainingLog: Sendable {
    public enum Format: String, Sendable {
        case swiftCaffe = "SwiftCaffe"
        case caffe = "Caffe (glog)"
    }

    /// One row of a table: an iteration and the values of the table's columns
    /// (`nil` where a column's line was missing).
    public struct Row: Equatable, Sendable {
        public var iteration: Int
        public var seconds: Double?
        public var learningRate: Double?
        public var values: [Double?]
    }

    /// Train or test outputs, one row per display (train) or test pass (test).
    public struct Table: Equatable, Sendable {
        public var names: [String] = []
        public var rows: [Row] = []

        public func column(_ name: String) -> Int? { names.firstIndex(of: name) }

        /// `(x, value)` points of one column, skipping rows without it.
        public func points(_ column: Int, x: (Row) -> Double?) -> [(x: Double, y: Double)] {
            rows.compactMap { row in
                guard column < row.values.count, let y = row.values[column], let xValue = x(row) else { return nil }
                return (xValue, y)
            }
        }
    }

    public var source: String
    public var format: Format
    /// `Iteration N, loss = x`: the loss smoothed over `average_loss` iterations.
    public var displayLoss = Table(names: ["loss"])
    public var train = Table()
    /// One table per test net (`Testing net (#k)`).
    public var test: [Table] = []
    /// `Iteration N, lr = x` lines.
    public var learningRates: [(iteration: Int, rate: Double)] = []
    /// SwiftCaffe's closing line, when the run finished.
    public var wallSeconds: Double?
    public var imagesPerSecond: Double?
    public var peakMegabytes: Int?

    /// Whether rows carry seconds (glog timestamps).
    public var hasSeconds: Bool { (displayLoss.rows + train.rows).contains { $0.seconds != nil } }

    /// The last iteration any line mentions.
    public var lastIteration: Int? {
        ([displayLoss, train] + test).compactMap { $0.rows.last?.iteration }.max()
    }

    /// Reads the log at `path`; `label` defaults to the path.
    public static func read(path: String) throws -> TrainingLog {
        let data = try InputFile.read(path, what: "training log")
        return try parse(String(decoding: data, as: UTF8.self), source: path, year: fileYear(path))
    }

    /// What the formats understood look like (for errors and help).
    public static let understoodFormats = """
        SwiftCaffe's log (swiftcaffe train, e.g. 'Iteration 100, loss = 0.5', \
        '    Test net output #0: accuracy = 0.9') and Caffe's glog log (caffe train 2>&1, e.g. \
        'I1122 10:00:00.000000 12345 solver.cpp:218] Iteration 100, loss = 0.5')
        """

    /// Parses the text of a log. `year` dates glog stamps (glog writes none; it only
    /// matters for February 29th): the log file's modification year by default.
    public static func parse(_ text: String, source: String, year: Int? = nil) throws -> TrainingLog {
        var log = TrainingLog(source: source, format: .swiftCaffe)
        var clock = GlogClock(year: year ?? Calendar.current.component(.year, from: Date()))
        var iteration: Int?
        var testNet: Int?
        var recognised = 0, stamped = 0, stampedBySwiftCaffe = 0
        var start: Double?
        var seconds: Double?
        for line in text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            let (stamp, message) = TrainingLogLine.splitPrefix(line)
            guard let parsed = TrainingLogLine.parse(message: message) else { continue }
            recognised += 1
            if let stamp {
                stamped += 1
                if TrainingLogLine.isSwiftCaffeStamped(line, message: message) { stampedBySwiftCaffe += 1 }
                let absolute = clock.seconds(stamp)
                if start == nil { start = absolute }
                seconds = absolute - (start ?? absolute)
            }
            switch parsed {
            case .solving:
                break  // times count from the first line read, normally this one (parse_log.py's start)
            case let .displayLoss(i, loss):
                iteration = i
                testNet = nil
                log.displayLoss.rows.append(Row(iteration: i, seconds: seconds, values: [loss]))
                log.train.rows.append(Row(iteration: i, seconds: seconds, values: []))
            case let .learningRate(i, rate):
                log.learningRates.append((i, rate))
            case let .testing(i, net):
                iteration = i
                testNet = net
                while log.test.count <= net { log.test.append(Table()) }
                log.test[net].rows.append(Row(iteration: i, seconds: seconds, values: []))
            case let .trainOutput(_, name, value):
                guard iteration != nil, !log.train.rows.isEmpty else { continue }
                set(&log.train, name, value)
            case let .testOutput(_, name, value):
                guard let net = testNet, net < log.test.count, !log.test[net].rows.isEmpty else { continue }
                // The row's time is when its results were printed, as parse_log.py's.
                if log.test[net].rows[log.test[net].rows.count - 1].values.allSatisfy({ $0 == nil }) {
                    log.test[net].rows[log.test[net].rows.count - 1].seconds = seconds
                }
                set(&log.test[net], name, value)
            case let .trained(_, wall, rate, memory):
                log.wallSeconds = wall
                log.imagesPerSecond = rate
                log.peakMegabytes = memory
            }
        }
        guard recognised > 0, !(log.displayLoss.rows.isEmpty && log.test.allSatisfy(\.rows.isEmpty)
                                 && log.learningRates.isEmpty) else {
            throw SwiftCaffeError(.io, "'\(source)' has no training progress in it: no line reads like "
                                  + "'Iteration N, loss = x', 'Iteration N, lr = x' or 'Test net output #i: name = x'",
                                  hint: "the formats understood are \(understoodFormats)")
        }
        // SwiftCaffe's stamped logs (train --log) borrow glog's prefix but are still its own.
        if stamped * 2 > recognised && stampedBySwiftCaffe * 2 <= stamped { log.format = .caffe }
        log.train.rows.removeAll { $0.values.isEmpty }
        log.assignLearningRates()
        return log
    }

    /// Puts `value` in the last row of `table`, adding the column if it is new.
    private static func set(_ table: inout Table, _ name: String, _ value: Double) {
        let column: Int
        if let c = table.column(name) {
            column = c
        } else {
            table.names.append(name)
            column = table.names.count - 1
        }
        let r = table.rows.count - 1
        while table.rows[r].values.count <= column { table.rows[r].values.append(nil) }
        table.rows[r].values[column] = value
    }

    /// Every row gets the rate logged at its iteration, else the last one logged
    /// before it, else the first one (the rate is printed after a display's outputs,
    /// which is why parse_log.py's rows lag one display behind; these do not).
    private mutating func assignLearningRates() {
        guard !learningRates.isEmpty else { return }
        let rates = learningRates
        func rate(at iteration: Int) -> Double {
            var best = rates[0].rate
            for entry in rates where entry.iteration <= iteration { best = entry.rate }
            return best
        }
        for t in [0, 1] {
            var table = t == 0 ? displayLoss : train
            for r in table.rows.indices { table.rows[r].learningRate = rate(at: table.rows[r].iteration) }
            if t == 0 { displayLoss = table } else { train = table }
        }
        for k in test.indices {
            for r in test[k].rows.indices { test[k].rows[r].learningRate = rate(at: test[k].rows[r].iteration) }
        }
    }

    private static func fileYear(_ path: String) -> Int? {
        guard let date = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date else {
            return nil
        }
        return Calendar.current.component(.year, from: date)
    }
}

/// Turns glog's month-day-time stamps into increasing seconds: a stamp earlier than the
/// one before it by more than a day's worth of doubt means the year rolled over (the
/// day rolling over is already in the stamp's date).
struct GlogClock {
    var year: Int
    private var last: Double?
    private var calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    init(year: Int) { self.year = year }

    mutating func seconds(_ stamp: TrainingLogLine.Stamp) -> Double {
        var value = absolute(stamp, year: year)
        if let last, value < last - 12 * 3600 {
            year += 1
            value = absolute(stamp, year: year)
        }
        last = value
        return value
    }

    private func absolute(_ stamp: TrainingLogLine.Stamp, year: Int) -> Double {
        let components = DateComponents(year: year, month: stamp.month, day: stamp.day)
        let midnight = calendar.date(from: components)?.timeIntervalSince1970 ?? 0
        return midnight + stamp.secondOfDay
    }
}
