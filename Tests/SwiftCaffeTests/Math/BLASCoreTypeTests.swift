import XCTest
@testable import SwiftCaffe

final class BLASCoreTypeTests: XCTestCase {
    func testLegacyKernelsAreUpgradedToWhatTheCPUSupports() {
        let avx512: Set<String> = ["sse3", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512dq", "avx512vl"]
        XCTAssertEqual(BLASCoreType.better(than: "Prescott", cpuFlags: avx512), "SkylakeX")
        XCTAssertEqual(BLASCoreType.better(than: "Nehalem", cpuFlags: ["avx", "avx2", "fma"]), "Haswell")
        // Partial AVX-512 (no BW/VL, as on Knights Landing) is not SkylakeX.
        XCTAssertEqual(BLASCoreType.better(than: "Prescott", cpuFlags: ["avx2", "fma", "avx512f", "avx512cd"]), "Haswell")
    }

    func testGoodOrUnupgradableChoicesStand() {
        XCTAssertNil(BLASCoreType.better(than: "Haswell", cpuFlags: ["avx2", "fma", "avx512f", "avx512bw", "avx512dq", "avx512vl"]))
        XCTAssertNil(BLASCoreType.better(than: "Zen", cpuFlags: ["avx2", "fma"]))
        XCTAssertNil(BLASCoreType.better(than: "Prescott", cpuFlags: ["sse3", "avx"]))  // no AVX2: nothing better
        XCTAssertNil(BLASCoreType.better(than: "Prescott", cpuFlags: []))
    }

    func testCPUFlagsAreReadFromTheFlagsLine() throws {
        let path = try TestSupport.temporaryDirectory(self).appendingPathComponent("cpuinfo").path
        try "processor\t: 0\nmodel name\t: Intel(R) Xeon(R) Processor\nflags\t\t: fpu sse3 avx2 fma\nbogomips\t: 4000\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertEqual(BLASCoreType.cpuFlags(cpuinfo: path), ["fpu", "sse3", "avx2", "fma"])
        XCTAssertEqual(BLASCoreType.cpuFlags(cpuinfo: path + ".missing"), [])
    }

    func testTheExecutableRunsWithTheBetterKernels() throws {
        // `swiftcaffe` restarts itself with OPENBLAS_CORETYPE when OpenBLAS's choice is
        // a legacy one; whatever it ends up with, it must not be a legacy core on a CPU
        // that has AVX2 (checked through the executable's own report).
        let flags = BLASCoreType.cpuFlags()
        guard BLASCoreType.better(than: "Prescott", cpuFlags: flags) != nil else {
            throw XCTSkip("this CPU has no AVX2: OpenBLAS's legacy kernels are the right choice")
        }
        let r = try SwiftCaffeExecutable.run(["--version"], in: try TestSupport.temporaryDirectory(self))
        XCTAssertEqual(r.status, 0, r.stderr)
        // "SwiftCaffe 0.1.0-dev (OpenBLAS kernels: SkylakeX)"
        let core = try XCTUnwrap(r.stdout.split(separator: ":").last).trimmingCharacters(in: CharacterSet(charactersIn: " )\n"))
        XCTAssertFalse(BLASCoreType.legacyCores.contains(core.lowercased()), core)
    }
}
