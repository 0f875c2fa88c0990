import Foundation

/// Reading a whole input file (an image list, weights, a solver state), with errors that
/// tell a missing file from an unreadable one and say what the file was meant to be.
enum InputFile {
    /// The bytes of `path`; `what` names the file in errors ("weights file").
    static func read(_ path: String, what: String, hint: String? = nil) throws -> Data {
        guard FileManager.default.fileExists(atPath: path) else {
            throw SwiftCaffeError(.io, "\(what) '\(path)' does not exist", hint: hint)
        }
        do {
            return try contents(path)
        } catch {
            throw SwiftCaffeError(.io, "cannot read \(what) '\(path)': \(error.reason)", hint: hint)
        }
    }

    /// Why a file could not be read: the system's reason ("no such file or directory").
    struct Failure: Error {
        let code: Int32
        var reason: String {
            let text = String(cString: strerror(code))
            return text.prefix(1).lowercased() + text.dropFirst()
        }
    }

    /// The whole file, read with open/read. Not Foundation's `Data(contentsOf:)` nor
    /// `FileManager.contents(atPath:)`: in Swift 6.3.1 both leak a 4 KiB buffer on every
    /// empty file (found by fuzz/, see docs/reliability.md), and an empty file is a
    /// common input (a failed download, a snapshot cut short).
    static func contents(_ path: String) throws(Failure) -> Data {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw Failure(code: errno) }
        defer { close(fd) }
        var data = Data()
        var info = stat()
        if fstat(fd, &info) == 0 && info.st_size > 0 { data.reserveCapacity(Int(info.st_size)) }
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw Failure(code: errno)
            }
            if count == 0 { return data }
            data.append(contentsOf: chunk[0..<count])
        }
    }
}

/// The C library's read(2) (inside `InputFile`, `read` names its own method).
private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(fd, buffer, count)
}
