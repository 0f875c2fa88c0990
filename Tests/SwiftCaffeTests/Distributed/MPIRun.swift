import Foundation
import XCTest

/// `mpirun` of Open MPI starting the built `swiftcaffe` on N ranks, as the
/// distributed tests and users run it (oversubscribed: this machine has 2 cores).
enum MPIRun {
    /// Open MPI's launcher on PATH, or nil (the tests are then skipped).
    static var launcher: String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/mpirun" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static func requireLauncher() throws -> String {
        guard let launcher else {
            throw XCTSkip("mpirun not found on PATH: install openmpi-bin (scripts/setup does) to run the distributed tests")
        }
        return launcher
    }

    /// mpirun's own options: `--bind-to none` so that oversubscribed ranks are not
    /// pinned to one core; shared memory between the local ranks.
    static func options(ranks: Int) -> [String] {
        ["--allow-run-as-root", "--oversubscribe", "--bind-to", "none", "-np", "\(ranks)"]
    }

    /// Runs `swiftcaffe arguments` on `ranks` ranks in `directory` and waits for it.
    static func run(ranks: Int, _ arguments: [String], in directory: URL) throws -> SwiftCaffeExecutable.Result {
        try run(options(ranks: ranks) + [SwiftCaffeExecutable.executable.path] + arguments, in: directory)
    }

    /// Runs mpirun with `arguments` (options and one or more `:`-separated programs).
    static func run(_ arguments: [String], in directory: URL) throws -> SwiftCaffeExecutable.Result {
        let process = start(try requireLauncher(), arguments, in: directory)
        try process.process.run()
        process.process.waitUntilExit()
        return process.result()
    }

    /// A launched mpirun whose output goes to files (read while it runs).
    struct Launched {
        let process: Process
        let stdout: URL
        let stderr: URL

        func output() -> String {
            ((try? String(contentsOf: stdout, encoding: .utf8)) ?? "") + ((try? String(contentsOf: stderr, encoding: .utf8)) ?? "")
        }

        func result() -> SwiftCaffeExecutable.Result {
            SwiftCaffeExecutable.Result(status: process.terminationStatus,
                                        stdout: (try? String(contentsOf: stdout, encoding: .utf8)) ?? "",
                                        stderr: (try? String(contentsOf: stderr, encoding: .utf8)) ?? "")
        }
    }

    static func start(_ launcher: String, _ arguments: [String], in directory: URL) -> Launched {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: launcher)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        let id = UUID().uuidString
        let out = directory.appendingPathComponent("mpirun-\(id).out"), err = directory.appendingPathComponent("mpirun-\(id).err")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardOutput = try? FileHandle(forWritingTo: out)
        process.standardError = try? FileHandle(forWritingTo: err)
        return Launched(process: process, stdout: out, stderr: err)
    }

    /// The process ids of the ranks mpirun started, by rank (read from their environment).
    static func rankProcesses(of launcher: Int32) -> [Int: Int32] {
        var ranks: [Int: Int32] = [:]
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return ranks }
        for entry in entries {
            guard let pid = Int32(entry),
                  let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
                  status.split(separator: "\n").contains(where: { $0 == "PPid:\t\(launcher)" }),
                  let environ = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { continue }
            for variable in environ.split(separator: 0) {
                let text = String(decoding: variable, as: UTF8.self)
                if text.hasPrefix("OMPI_COMM_WORLD_RANK="), let rank = Int(text.dropFirst("OMPI_COMM_WORLD_RANK=".count)) {
                    ranks[rank] = pid
                }
            }
        }
        return ranks
    }
}
