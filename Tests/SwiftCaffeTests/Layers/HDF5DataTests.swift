import CaffeProto
import Foundation
import XCTest
@testable import SwiftCaffe

/// HDF5Data on real .h5 files written with HDF5's C API (HDF5TestFiles) — and with
/// h5py when python3 has it: tops named after datasets, float/double/integer storage,
/// rows in order across files and around, shuffling, seeking, and errors naming the
/// file and dataset.
final class HDF5DataTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = try TestSupport.temporaryDirectory(self)
    }

    /// A file of `rows` rows starting at row number `first`: "data" rows of 2 × 1 × 2
    /// holding 10r … 10r + 3 (float32), "label" r (float64), "weights" 3 × (r, r, r) (int32).
    private func writeFile(_ name: String, first: Int, rows: Int) throws -> URL {
        let url = directory.appendingPathComponent(name)
        var data: [Double] = [], labels: [Double] = [], weights: [Double] = []
        for row in first..<(first + rows) {
            let r = Double(row)
            data += [10 * r, 10 * r + 1, 10 * r + 2, 10 * r + 3]
            labels.append(r)
            weights += [r, r, r]
        }
        try HDF5TestFiles.write([
            HDF5TestFiles.Dataset(name: "data", shape: [rows, 2, 1, 2], values: data),
            HDF5TestFiles.Dataset(name: "label", shape: [rows], values: labels, storage: .float64),
            HDF5TestFiles.Dataset(name: "weights", shape: [rows, 3], values: weights, storage: .int32),
        ], to: url)
        return url
    }

    private func list(_ files: [URL]) throws -> String {
        let url = directory.appendingPathComponent("list.txt")
        try HDF5TestFiles.writeList(files, to: url)
        return url.path
    }

    private func net(source: String, tops: [String] = ["data", "label"], batch: Int = 2, shuffle: Bool = false,
                     options: NetBuildOptions = NetBuildOptions()) throws -> Net {
        try TestSupport.buildNet("""
            layer { name: "h5" type: "HDF5Data" \(tops.map { "top: \"\($0)\"" }.joined(separator: " "))
                    hdf5_data_param { source: "\(source)" batch_size: \(batch) shuffle: \(shuffle) } }
            """, options: options)
    }

    private func rowNumbers(_ net: Net) throws -> [Float] {
        _ = try net.forward()
        return try XCTUnwrap(net.blob(named: "label")).dataArray
    }

    func testTopsAreTheDatasetsRowsInOrderAcrossFilesAndAround() throws {
        let source = try list([try writeFile("a.h5", first: 0, rows: 3), try writeFile("b.h5", first: 3, rows: 2)])
        let net = try net(source: source, tops: ["data", "label", "weights"])
        XCTAssertEqual(net.blob(named: "data")?.shape, [2, 2, 1, 2])
        XCTAssertEqual(net.blob(named: "label")?.shape, [2])
        XCTAssertEqual(net.blob(named: "weights")?.shape, [2, 3])
        _ = try net.forward()
        XCTAssertEqual(net.blob(named: "data")?.dataArray, [0, 1, 2, 3, 10, 11, 12, 13])
        XCTAssertEqual(net.blob(named: "label")?.dataArray, [0, 1])
        XCTAssertEqual(net.blob(named: "weights")?.dataArray, [0, 0, 0, 1, 1, 1])
        XCTAssertEqual(try rowNumbers(net), [2, 3])   // the last row of a.h5, the first of b.h5
        XCTAssertEqual(try rowNumbers(net), [4, 0])   // and around to a.h5
        XCTAssertEqual(net.blob(named: "data")?.dataArray, [40, 41, 42, 43, 0, 1, 2, 3])
        let layer = try XCTUnwrap(net.layers.first as? HDF5DataLayer)
        XCTAssertEqual(layer.examplesConsumed, 6)
    }

    func testShuffleVisitsEveryRowOncePerPassAndSeekingRepeatsTheRows() throws {
        let source = try list([try writeFile("a.h5", first: 0, rows: 6), try writeFile("b.h5", first: 6, rows: 6)])
        let net = try net(source: source, batch: 4, shuffle: true)
        var pass: [Float] = []
        for _ in 0..<3 { pass += try rowNumbers(net) }
        XCTAssertEqual(pass.sorted(), (0..<12).map(Float.init), "one pass reads every row once")
        XCTAssertNotEqual(pass, (0..<12).map(Float.init), "shuffled")
        // Rows stay with their data.
        for _ in 0..<2 {
            let rows = try rowNumbers(net), data = try XCTUnwrap(net.blob(named: "data")).dataArray
            for (i, r) in rows.enumerated() { XCTAssertEqual(data[4 * i], 10 * r) }
        }
        let second = try rowNumbers(net)
        let layer = try XCTUnwrap(net.layers.first as? HDF5DataLayer)
        try layer.seek(toExample: 4)
        XCTAssertEqual(try rowNumbers(net), Array(pass[4..<8]))
        try layer.seek(toExample: 20)
        XCTAssertEqual(try rowNumbers(net), second)
    }

    func testSummaryReadsOnlyTheShapes() throws {
        let source = try list([try writeFile("a.h5", first: 0, rows: 3)])
        let net = try net(source: source, batch: 5, options: NetBuildOptions(inspectOnly: true))
        XCTAssertEqual(net.blob(named: "data")?.shape, [5, 2, 1, 2])
        XCTAssertEqual(net.blob(named: "label")?.shape, [5])
    }

    func testAFileWrittenByH5py() throws {
        let url = directory.appendingPathComponent("h5py.h5")
        let script = """
            import h5py, numpy as np
            with h5py.File("\(url.path)", "w") as f:
                f.create_dataset("data", data=np.arange(24, dtype=np.float64).reshape(4, 2, 3))
                f.create_dataset("label", data=np.array([3, 1, 4, 1], dtype=np.float32))
            print("ok")
            """
        guard try HDF5TestFiles.runWithH5py(script) != nil else {
            throw XCTSkip("python3 with h5py is not installed")
        }
        let net = try net(source: try list([url]), batch: 3)
        XCTAssertEqual(net.blob(named: "data")?.shape, [3, 2, 3])
        _ = try net.forward()
        XCTAssertEqual(net.blob(named: "data")?.dataArray, (0..<18).map(Float.init))
        XCTAssertEqual(net.blob(named: "label")?.dataArray, [3, 1, 4])
        _ = try net.forward()
        XCTAssertEqual(net.blob(named: "label")?.dataArray, [1, 3, 1])
    }

    // MARK: - Errors

    func testAMissingDatasetNamesTheFileAndTheDatasets() throws {
        let a = try writeFile("a.h5", first: 0, rows: 2)
        let error = TestSupport.error { _ = try self.net(source: try self.list([a]), tops: ["data", "target"]) }
        XCTAssertEqual(error?.layer, "h5")
        XCTAssertTrue(error?.message.contains("'\(a.path)' has no dataset 'target'") == true, "\(String(describing: error))")
        XCTAssertTrue(error?.message.contains("'data', 'label', 'weights'") == true, "\(String(describing: error))")
    }

    func testDatasetsWithDifferentRowCountsOrRowShapes() throws {
        let bad = directory.appendingPathComponent("bad.h5")
        try HDF5TestFiles.write([.init(name: "data", shape: [2, 4], values: Array(repeating: 0, count: 8)),
                                 .init(name: "label", shape: [3], values: [0, 1, 2])], to: bad)
        var error = TestSupport.error { _ = try self.net(source: try self.list([bad])) }
        XCTAssertTrue(error?.message.contains("dataset 'label' of HDF5 file '\(bad.path)' has 3 rows but 'data' has 2") == true,
                      "\(String(describing: error))")
        let a = try writeFile("a.h5", first: 0, rows: 2)
        let other = directory.appendingPathComponent("other.h5")
        try HDF5TestFiles.write([.init(name: "data", shape: [1, 4], values: [0, 1, 2, 3]),
                                 .init(name: "label", shape: [1], values: [0])], to: other)
        error = TestSupport.error { _ = try self.net(source: try self.list([a, other])) }
        XCTAssertTrue(error?.message.contains("has rows of shape 4, but in '\(a.path)' they are 2x1x2") == true,
                      "\(String(describing: error))")
    }

    func testMissingFilesAndBadParameters() throws {
        var error = TestSupport.error { _ = try self.net(source: self.directory.appendingPathComponent("none.txt").path) }
        XCTAssertTrue(error?.message.contains("HDF5 list file") == true, "\(String(describing: error))")
        let missing = directory.appendingPathComponent("missing.h5")
        error = TestSupport.error { _ = try self.net(source: try self.list([missing])) }
        XCTAssertTrue(error?.message.contains("HDF5 file '\(missing.path)' does not exist") == true, "\(String(describing: error))")
        XCTAssertTrue(error?.hint?.contains("line 1") == true)
        let text = directory.appendingPathComponent("text.h5")
        try "not hdf5".write(to: text, atomically: true, encoding: .utf8)
        error = TestSupport.error { _ = try self.net(source: try self.list([text])) }
        XCTAssertTrue(error?.message.contains("is not an HDF5 file") == true, "\(String(describing: error))")

        error = TestSupport.error { _ = try self.net(source: "x.txt", batch: 0) }
        XCTAssertEqual(error?.field, "hdf5_data_param.batch_size")
        error = TestSupport.error {
            _ = try TestSupport.buildNet("""
                layer { name: "h5" type: "HDF5Data" top: "data" transform_param { scale: 2 }
                        hdf5_data_param { source: "x.txt" batch_size: 1 } }
                """)
        }
        XCTAssertEqual(error?.field, "transform_param")
        error = TestSupport.error {
            _ = try TestSupport.buildNet(#"layer { name: "h5" type: "HDF5Data" top: "data" hdf5_data_param { batch_size: 1 } }"#)
        }
        XCTAssertEqual(error?.field, "hdf5_data_param.source")
    }
}
