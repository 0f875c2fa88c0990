import CaffeProto
import XCTest
@testable import SwiftCaffe

/// AbsVal: |x|, backward sign(x)·∂y; never in place (as Caffe).
final class AbsValTests: XCTestCase {
    func testForwardAndBackward() throws {
        let layer = try LayerTest.make(#"type: "AbsVal""#)
        let bottom = NeuronTest.blob([4], [-2, 0, 1.5, -0.25])
        let top = try LayerTest.setUp(layer, bottom: [bottom])
        try layer.forward(bottom: [bottom], top: top)
        XCTAssertEqual(top[0].dataArray, [2, 0, 1.5, 0.25])
        top[0].setDiff([1, 2, 3, 4])
        try layer.backward(top: top, propagateDown: [true], bottom: [bottom])
        XCTAssertEqual(bottom.diffArray, [-1, 0, 3, -4])
    }

    func testGradient() throws {
        try NeuronTest.check(#"type: "AbsVal""#, shape: [2, 3, 4, 5])
    }

    func testInPlaceIsRejected() throws {
        let layer = try LayerTest.make(#"type: "AbsVal""#)
        let blob = LayerTest.blob([2, 3])
        let e = TestSupport.error { try LayerTest.setUp(layer, bottom: [blob], top: [blob]) }
        XCTAssertTrue(e?.message.contains("in place") ?? false, "\(String(describing: e))")
        XCTAssertEqual(layer.bottomCountRange, 1...1)
        XCTAssertEqual(layer.topCountRange, 1...1)
    }
}
