import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One line of a training log reduced to what a plot needs. The grammar covers the
/// lines `Solver` writes (docs/solver.md, "Log lines") and the same lines as Caffe's
/// solver.cpp writes them through glog, with glog's prefix
/// `I1122 10:00:00.123456 12345 solver.cpp:218] ` and Caffe's newer display line
/// `Iteration 100 (2.5 iter/s, 40s/100 iters), loss = 0.5`.
public enum TrainingLogLine: Equatable, Sendable {
    /// `Solving NAME`: training starts (glog seconds count from here, as parse_log.py's).
    case solving
    /// `Iteration N, loss = x` (the loss smoothed over `average_loss`).
    case displayLoss(iteration: Int, loss: Double)
    /// `Iteration N, lr = x`.
    case learningRate(iteration: Int, rate: Double)
    /// `Iteration N, Testing net (#k)`.
    case testing(iteration: Int, net: Int)
    /// `    Train net output #i: name = x` (optionally `(* w = y loss)`).
    case trainOutput(index: Int, name: String, value: Double)
    /// `    Test net output #i: name = x`.
    case testOutput(index: Int, name: String, value: Double)
    /// SwiftCaffe's last line: `Trained N iterations in X s (R images/s); peak memory M MB`.
    case trained(iterations: Int, seconds: Double, imagesPerSecond: Double?, peakMegabytes: Int?)

    /// A glog prefix's time of day and date (month, day): glog writes no year.
    public struct Stamp: Equatable, Sendable {
        public var month: Int, day: Int
        /// Seconds since midnight, with the microseconds.
        public var secondOfDay: Double
    }

    /// Splits off a glog prefix (`Lmmdd hh:mm:ss.uuuuuu thread file:line] `) if the line
    /// has one; returns its stamp and the message.
    public static func splitPrefix(_ line: Substring) -> (stamp: Stamp?, message: Substring) {
        var scanner = LineScanner(line)
        guard let level = scanner.next(), "IWEF".contains(level),
              let month = scanner.digits(count: 2), let day = scanner.digits(count: 2), scanner.skip(" "),
              let hours = scanner.digits(count: 2), scanner.skip(":"), let minutes = scanner.digits(count: 2),
              scanner.skip(":"), let seconds = scanner.digits(count: 2) else { return (nil, line) }
        var fraction = 0.0
        if scanner.skip("."), let (value, count) = scanner.digitRun() {
            fraction = Double(value) / pow(10, Double(count))
        }
        guard let close = scanner.rest.firstIndex(of: "]"), (1...12).contains(month), (1...31).contains(day) else {
            return (nil, line)
        }
        var message = scanner.rest[scanner.rest.index(after: close)...]
        if message.first == " " { message = message.dropFirst() }
        let stamp = Stamp(month: month, day: day, secondOfDay: Double(hours * 3600 + minutes * 60 + seconds) + fraction)
        return (stamp, message)
    }

    /// The source glog's prefix names in SwiftCaffe's stamped logs (`train --log`,
    /// `compare --solver`'s run logs), where Caffe's name a file and line.
    public static let swiftCaffeSource = "swiftcaffe"

    /// glog's prefix for the time `now` (UTC), as SwiftCaffe stamps its log files:
    /// `I1202 18:20:42.123456 12345 swiftcaffe] ` (level, month and day, time with
    /// microseconds, process id, source). `splitPrefix` reads it back, and so does
    /// Caffe's tools/extra/parse_log.py, which splits the first two words into a date.
    public static func glogPrefix(now: timespec, process: Int32 = getpid()) -> String {
        var parts = tm()
        var seconds = now.tv_sec
        gmtime_r(&seconds, &parts)
        return String(format: "I%02d%02d %02d:%02d:%02d.%06d %d ", parts.tm_mon + 1, parts.tm_mday, parts.tm_hour,
                      parts.tm_min, parts.tm_sec, Int(now.tv_nsec / 1000), Int(process)) + swiftCaffeSource + "] "
    }

    /// The prefix for this moment (CLOCK_REALTIME).
    public static func glogPrefixNow() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return glogPrefix(now: now)
    }

    /// Whether `line`'s glog prefix (up to `message`, which `splitPrefix` returned for
    /// it) names SwiftCaffe as its source.
    static func isSwiftCaffeStamped(_ line: Substring, message: Substring) -> Bool {
        line[line.startIndex..<message.startIndex].hasSuffix(" \(swiftCaffeSource)] ")
    }

    /// What a log message says, or nil for a line a plot does not need.
    public static func parse(message: Substring) -> TrainingLogLine? {
        var text = message
        while text.first == " " || text.first == "\t" { text = text.dropFirst() }
        var s = LineScanner(text)
        if s.skip("Iteration ") {
            guard let iteration = s.integer() else { return nil }
            // Caffe's newer display line puts "(x iter/s, ys/n iters)" after the number.
            if s.skip(" (") { guard s.skip(through: ")") else { return nil } }
            guard s.skip(", ") else { return nil }
            if s.skip("loss = "), let loss = s.number() { return .displayLoss(iteration: iteration, loss: loss) }
            if s.skip("lr = "), let rate = s.number() { return .learningRate(iteration: iteration, rate: rate) }
            if s.skip("Testing net (#"), let net = s.integer(), s.skip(")") { return .testing(iteration: iteration, net: net) }
            return nil
        }
        for (prefix, isTrain) in [("Train net output #", true), ("Test net output #", false)] where s.skip(prefix) {
            guard let index = s.integer(), s.skip(": "), let name = s.word(), s.skip(" = "), let value = s.number() else {
                return nil
            }
            return isTrain ? .trainOutput(index: index, name: name, value: value)
                : .testOutput(index: index, name: name, value: value)
        }
        if s.skip("Solving ") { return .solving }
        if s.skip("Trained "), let iterations = s.integer(), s.skip(" iterations in "), let seconds = s.number(), s.skip(" s") {
            var rate: Double?, memory: Int?
            if s.skip(" ("), let r = s.number(), s.skip(" images/s)") { rate = r }
            if s.skip("; peak memory "), let m = s.integer() { memory = m }
            return .trained(iterations: iterations, seconds: seconds, imagesPerSecond: rate, peakMegabytes: memory)
        }
        return nil
    }
}

/// A cursor over one line: the few pieces the log grammar is made of.
struct LineScanner {
    private(set) var rest: Substring

    init(_ text: Substring) { rest = text }

    mutating func next() -> Character? { rest.popFirst() }

    mutating func skip(_ literal: String) -> Bool {
        guard rest.hasPrefix(literal) else { return false }
        rest = rest.dropFirst(literal.count)
        return true
    }

    /// Skips past the first `character` (inclusive).
    mutating func skip(through character: Character) -> Bool {
        guard let i = rest.firstIndex(of: character) else { return false }
        rest = rest[rest.index(after: i)...]
        return true
    }

    /// Exactly `count` decimal digits.
    mutating func digits(count: Int) -> Int? {
        let head = rest.prefix(count)
        guard head.count == count, head.allSatisfy(\.isASCIIDigit), let value = Int(head) else { return nil }
        rest = rest.dropFirst(count)
        return value
    }

    /// A run of digits and its length (up to 18 digits are kept).
    mutating func digitRun() -> (value: Int, count: Int)? {
        let head = rest.prefix { $0.isASCIIDigit }
        guard !head.isEmpty else { return nil }
        rest = rest.dropFirst(head.count)
        return (Int(head.prefix(18)) ?? 0, min(head.count, 18))
    }

    mutating func integer() -> Int? {
        let head = rest.prefix { $0.isASCIIDigit }
        guard !head.isEmpty, let value = Int(head) else { return nil }
        rest = rest.dropFirst(head.count)
        return value
    }

    /// A number as C++ streams and printf's %g print one, including nan and inf.
    mutating func number() -> Double? {
        let head = rest.prefix { $0.isASCIIDigit || "+-.eEnaifNAIF".contains($0) }
        guard !head.isEmpty else { return nil }
        let lowered = head.lowercased()
        let value: Double?
        switch lowered {
        case "nan", "-nan", "+nan": value = .nan
        case "inf", "+inf", "infinity": value = .infinity
        case "-inf", "-infinity": value = -.infinity
        default: value = Double(lowered)
        }
        guard let value else { return nil }
        rest = rest.dropFirst(head.count)
        return value
    }

    /// A name: everything up to the next space.
    mutating func word() -> String? {
        let head = rest.prefix { $0 != " " }
        guard !head.isEmpty else { return nil }
        rest = rest.dropFirst(head.count)
        return String(head)
    }
}

private extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
