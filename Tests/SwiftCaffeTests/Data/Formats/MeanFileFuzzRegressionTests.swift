import CaffeProto
import Foundation
import XCTest
@testable import SwiftCaffe

/// Regression (fuzzing, fuzz/corpus/binaryproto/binaryproto-crash-26f2…): a mean file whose
/// shape multiplies past Int.max trapped on arithmetic overflow instead of being an error.
final class MeanFileFuzzRegressionTests: XCTestCase {
    func testAShapeThatOverflowsIsAnError() throws {
        var proto = Caffe_BlobProto()
        proto.shape.dim = [1, 1 << 40, 1 << 20, 1 << 10]
        let path = try TestSupport.temporaryDirectory(self).appendingPathComponent("huge.binaryproto").path
        try proto.serializedData().write(to: URL(fileURLWithPath: path))
        let error = TestSupport.error { _ = try MeanFile(path: path) }
        XCTAssertEqual(error?.message.contains("more values than any image has"), true, error?.message ?? "no error")
    }

    func testTheFuzzerInputIsAnError() throws {
        let input = TestSupport.packageRoot
            .appendingPathComponent("fuzz/corpus/binaryproto/binaryproto-crash-26f246612c76f718649484085a04ffda4a9790d8")
        XCTAssertNotNil(TestSupport.error { _ = try MeanFile(path: input.path) })
    }
}
