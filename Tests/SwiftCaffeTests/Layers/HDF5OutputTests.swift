import CaffeProto
import Foundation
import XCTest
@testable import SwiftCaffe

/// HDF5Output writes bottom 0 as "data" and bottom 1 as "label", appending every batch;
/// the files are read back with HDF5's C API (HDF5TestFiles), with HDF5Data, and with
/// h5py when python3 has it.
final class HDF5OutputTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = try TestSupport.temporaryDirectory(self)
    }

    private func net(_ file: URL, options: NetBuildOptions = NetBuildOptions()) throws -> Net {
        try TestSupport.buildNet("""
            layer { name: "x" type: "Input" top: "x" top: "y"
                    input_param { shape { dim: 2 dim: 3 dim: 2 } shape { dim: 2 dim: 1 } } }
            layer { name: "out" type: "HDF5Output" bottom: "x" bottom: "y" hdf5_output_param { file_name: "\(file.path)" } }
            """, options: options)
    }

    /// Runs two batches through a fresh net writing `file` (the net is gone afterwards,
    /// so the file is closed).
    private func writeTwoBatches(_ file: URL) throws {
        let net = try net(file)
        for batch in 0..<2 {
            net.blob(named: "x")?.setData((0..<12).map { Float(100 * batch + $0) })
            net.blob(named: "y")?.setData([Float(batch), Float(batch) + 0.5])
            _ = try net.forward()
        }
    }

    func testWritesDataAndLabelAndAppendsEveryBatch() throws {
        let file = directory.appendingPathComponent("out.h5")
        try writeTwoBatches(file)
        let data = try HDF5TestFiles.read("data", from: file)
        XCTAssertEqual(data.shape, [4, 3, 2])
        XCTAssertEqual(data.values, (0..<12).map(Float.init) + (0..<12).map { Float(100 + $0) })
        let label = try HDF5TestFiles.read("label", from: file)
        XCTAssertEqual(label.shape, [4, 1])
        XCTAssertEqual(label.values, [0, 0.5, 1, 1.5])
    }

    func testHDF5DataReadsWhatHDF5OutputWrote() throws {
        let file = directory.appendingPathComponent("out.h5")
        try writeTwoBatches(file)
        let list = directory.appendingPathComponent("list.txt")
        try HDF5TestFiles.writeList([file], to: list)
        let net = try TestSupport.buildNet("""
            layer { name: "h5" type: "HDF5Data" top: "label" top: "data" hdf5_data_param { source: "\(list.path)" batch_size: 3 } }
            """)
        XCTAssertEqual(net.blob(named: "data")?.shape, [3, 3, 2])
        XCTAssertEqual(net.blob(named: "label")?.shape, [3, 1])
        _ = try net.forward()
        XCTAssertEqual(net.blob(named: "label")?.dataArray, [0, 0.5, 1])
        XCTAssertEqual(net.blob(named: "data")?.dataArray.suffix(6), [100, 101, 102, 103, 104, 105])
    }

    func testH5pyReadsTheFile() throws {
        let file = directory.appendingPathComponent("out.h5")
        try writeTwoBatches(file)
        let script = """
            import h5py
            with h5py.File("\(file.path)", "r") as f:
                print(f["data"].shape, f["data"].dtype, f["label"][:, 0].tolist())
            """
        guard let output = try HDF5TestFiles.runWithH5py(script) else { throw XCTSkip("python3 with h5py is not installed") }
        XCTAssertEqual(output.trimmingCharacters(in: .whitespacesAndNewlines), "(4, 3, 2) float32 [0.0, 0.5, 1.0, 1.5]")
    }

    func testSummaryCreatesNoFileAndErrorsNameTheField() throws {
        let file = directory.appendingPathComponent("never.h5")
        _ = try net(file, options: NetBuildOptions(inspectOnly: true))
        XCTAssertFalse(FileManager.default.fileExists(atPath: file.path))

        var error = TestSupport.error {
            _ = try TestSupport.buildNet("""
                layer { name: "x" type: "Input" top: "x" top: "y" input_param { shape { dim: 2 } shape { dim: 2 } } }
                layer { name: "out" type: "HDF5Output" bottom: "x" bottom: "y" }
                """)
        }
        XCTAssertEqual(error?.field, "hdf5_output_param.file_name")
        error = TestSupport.error {
            _ = try TestSupport.buildNet("""
                layer { name: "x" type: "Input" top: "x" top: "y" input_param { shape { dim: 2 } shape { dim: 3 } } }
                layer { name: "out" type: "HDF5Output" bottom: "x" bottom: "y" hdf5_output_param { file_name: "\(file.path)" } }
                """)
        }
        XCTAssertTrue(error?.message.contains("same number of rows") == true, "\(String(describing: error))")
        let unwritable = directory.appendingPathComponent("no/such/folder/out.h5")
        error = TestSupport.error { _ = try self.net(unwritable) }
        XCTAssertTrue(error?.message.contains("cannot create HDF5 file") == true, "\(String(describing: error))")
    }
}
