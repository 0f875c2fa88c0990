// Only the C library is imported here: `@preconcurrency` has no effect in a file that
// also imports Foundation, which re-exports it without.
#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
@preconcurrency import Darwin
#endif

/// The C library's standard output and error, for SolverLog's fputs/fflush (the same
/// buffered streams as `print`, so lines keep their order).
///
/// C declares `stdout` and `stderr` as mutable globals, which Swift 6 rejects reading;
/// the `@preconcurrency` import above accepts it, confined to this file. Reading them
/// from any thread is safe: the C library sets them before main and nothing in this
/// program assigns them, and each stdio call locks the stream it uses.
enum StandardStreams {
    static var output: UnsafeMutablePointer<FILE> { stdout }
    static var error: UnsafeMutablePointer<FILE> { stderr }
}
