import XCTest
@testable import SwiftCaffe

/// Net.forward reshapes a layer whose bottoms changed shape since it was last shaped,
/// as Caffe's Layer::Forward does before every forward (issue #14: Filter).
final class NetForwardReshapeTests: XCTestCase {
    /// data 4 × 2 and a selector 4 × 1 → Filter → InnerProduct (weights 1, bias 0), so
    /// each output row is the sum of a selected data row.
    static let net = """
        layer { name: "in" type: "Input" top: "data" top: "sel"
                input_param { shape { dim: 4 dim: 2 } shape { dim: 4 dim: 1 } } }
        layer { name: "filter" type: "Filter" bottom: "data" bottom: "sel" top: "kept" }
        layer { name: "ip" type: "InnerProduct" bottom: "kept" top: "sum"
                inner_product_param { num_output: 1
                  weight_filler { type: "constant" value: 1 } bias_filler { type: "constant" value: 0 } } }
        """

    func testLayersAfterFilterFollowTheSelectedRowCount() throws {
        let net = try TestSupport.buildNet(Self.net)
        let data = try XCTUnwrap(net.blob(named: "data")), selector = try XCTUnwrap(net.blob(named: "sel"))
        let sum = try XCTUnwrap(net.blob(named: "sum"))
        data.setData([1, 2, 3, 4, 5, 6, 7, 8])   // rows sum to 3, 7, 11, 15

        selector.setData([1, 0, 0, 1])
        try net.forward()
        XCTAssertEqual(sum.shape, [2, 1])
        XCTAssertEqual(sum.dataArray, [3, 15])

        selector.setData([0, 1, 1, 1])
        try net.forward()
        XCTAssertEqual(sum.shape, [3, 1])
        XCTAssertEqual(sum.dataArray, [7, 11, 15])

        selector.setData([0, 0, 1, 0])
        try net.forward()
        XCTAssertEqual(sum.shape, [1, 1])
        XCTAssertEqual(sum.dataArray, [11])
    }

    func testUnchangedShapesDoNotReshape() throws {
        let net = try TestSupport.buildNet(Self.net)
        let ip = try XCTUnwrap(net.blob(named: "sum"))
        try XCTUnwrap(net.blob(named: "sel")).setData([1, 1, 1, 1])
        try net.forward()
        let version = ip.shapeVersion
        try net.forward()
        XCTAssertEqual(ip.shapeVersion, version, "the same selection must not reshape the tops again")
    }
}
