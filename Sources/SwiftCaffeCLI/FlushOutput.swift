// Only the C library is imported here, with @preconcurrency, so that reading C's
// mutable `stdout` global is accepted (as in the library's StandardStreams).
#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
@preconcurrency import Darwin
#endif

/// Flushes standard output, so that progress printed by a long-running command reaches
/// a pipe (a test, `tee`) as it happens rather than when the buffer fills.
func flushStandardOutput() { fflush(stdout) }
