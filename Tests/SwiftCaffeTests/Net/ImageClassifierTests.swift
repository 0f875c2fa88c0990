import CaffeProto
import Foundation
import XCTest
@testable import SwiftCaffe

/// `ImageClassifier` on nets whose weights are set by hand, so the answers are known:
/// channel order, centre crop, the ten patches, mean and scale, legacy deploy inputs.
final class ImageClassifierTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = try TestSupport.temporaryDirectory(self)
    }

    private func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    private func classifier(_ net: String = ClassifierFixtures.colourDeploy,
                            options: ClassifierOptions = ClassifierOptions()) throws -> ImageClassifier {
        let (w, b) = ClassifierFixtures.colourWeights()
        try ClassifierFixtures.writeWeights(net: ClassifierFixtures.colourDeploy, weights: w, bias: b,
                                            to: path("colours.caffemodel"))
        try net.write(toFile: path("net.prototxt"), atomically: true, encoding: .utf8)
        return try ImageClassifier(definition: try NetDefinition.load(path: path("net.prototxt")),
                                   weights: path("colours.caffemodel"), options: options)
    }

    /// PNG files store R, G, B; the net sees B, G, R, so a red file scores class 2.
    func testPureColoursGetTheirClassInCaffesChannelOrder() throws {
        let c = try classifier()
        XCTAssertEqual(c.patchShape, ExampleShape(channels: 3, height: 2, width: 2))
        XCTAssertEqual(c.imageHeight, 256)
        XCTAssertEqual(c.windows.count, 1)
        XCTAssertTrue(c.outputIsProbability)
        XCTAssertEqual(c.outputName, "prob")
        XCTAssertEqual(c.net.blob(named: "data")?.shape, [1, 3, 2, 2])
        let winner = Float(Foundation.exp(10.2) / (Foundation.exp(10.2) + 2))
        for (name, rgb, expected) in [("red", (255, 0, 0), 2), ("green", (0, 255, 0), 1), ("blue", (0, 0, 255), 0)] {
            try ClassifierFixtures.writeSolidPNG(path(name + ".png"), red: UInt8(rgb.0), green: UInt8(rgb.1),
                                                 blue: UInt8(rgb.2))
            let p = try c.classify(try c.loadImage(path(name + ".png")), source: name)
            XCTAssertEqual(ImageClassifier.top(1, of: p).first?.index, expected, name)
            XCTAssertEqual(p[expected], winner, accuracy: 1e-5, name)
        }
    }

    /// The ten patches' softmax, averaged, worked out by hand on a 3 × 4 image (per channel
    /// B, G, R: pixel (y, x) = 10y + x + 40c), with per-channel means and a scale.
    func testOversampleAveragesTheTenPatchesSoftmax() throws {
        var options = ClassifierOptions()
        options.oversample = true
        options.imageDims = (3, 4)
        options.meanValues = [1, 2, 3]
        options.scale = 0.5
        let c = try classifier(options: options)
        XCTAssertEqual(c.windows.count, 10)
        XCTAssertEqual(c.net.blob(named: "data")?.shape, [10, 3, 2, 2])
        var image = Image8(channels: 3, height: 3, width: 4)
        for ch in 0..<3 {
            for y in 0..<3 { for x in 0..<4 { image[ch, y, x] = UInt8(10 * y + x + 40 * ch) } }
        }
        func plane(_ ch: Int) -> [[Float]] {
            (0..<3).map { (y: Int) -> [Float] in (0..<4).map { (x: Int) -> Float in Float(10 * y + x + 40 * ch) } }
        }
        let planes = (0..<3).map(plane)
        let crops = planes.map { ClassifierFixtures.handCrops($0) }
        let (w, b) = ClassifierFixtures.colourWeights()
        let means: [Float] = [1, 2, 3]
        /// Patch v, channels B, G, R, mean-subtracted and scaled.
        func patch(_ v: Int) -> [Float] {
            var x: [Float] = []
            for ch in 0..<3 { x += crops[ch][v].map { ($0 - means[ch]) * 0.5 } }
            return x
        }
        var mean = [Float](repeating: 0, count: 3)
        for v in 0..<10 {
            let x = patch(v)
            let p = ClassifierFixtures.softmax(ClassifierFixtures.scores(x, weights: w, bias: b))
            for k in 0..<3 { mean[k] += p[k] / 10 }
        }
        let got = try c.classify(image, source: "test")
        for k in 0..<3 { XCTAssertEqual(got[k], mean[k], accuracy: 1e-5, "class \(k)") }

        // The centre patch alone: rows 0-1, columns 1-2.
        options.oversample = false
        let centre = try classifier(options: options).classify(image, source: "test")
        let x = patch(TenCrop.centre)
        let expected = ClassifierFixtures.softmax(ClassifierFixtures.scores(x, weights: w, bias: b))
        for k in 0..<3 { XCTAssertEqual(centre[k], expected[k], accuracy: 1e-5, "class \(k)") }
    }

    /// A legacy deploy file (input_dim) without a Softmax: the softmax of its output is taken.
    func testLegacyInputDimAndRawScores() throws {
        let c = try classifier(ClassifierFixtures.legacyColourDeploy)
        XCTAssertFalse(c.outputIsProbability)
        XCTAssertEqual(c.outputName, "ip")
        try ClassifierFixtures.writeSolidPNG(path("red.png"), red: 255, green: 0, blue: 0)
        let p = try c.classify(try c.loadImage(path("red.png")), source: "red")
        XCTAssertEqual(p[2], Float(Foundation.exp(10.2) / (Foundation.exp(10.2) + 2)), accuracy: 1e-5)
        XCTAssertEqual(p.reduce(0, +), 1, accuracy: 1e-5)
    }

    func testMistakesAreClearErrors() throws {
        var small = ClassifierOptions()
        small.imageDims = (1, 4)
        let tooSmall = TestSupport.error { _ = try self.classifier(options: small) }
        XCTAssertTrue(tooSmall?.message.contains("input is 2x2 but images are resized to 1x4") ?? false,
                      "\(String(describing: tooSmall))")
        XCTAssertTrue(tooSmall?.hint?.contains("--image-dims 2,2") ?? false)

        var blob = Caffe_BlobProto()
        blob.shape.dim = [1, 3, 4, 4]
        blob.data = Array(repeating: 100, count: 48)
        try blob.serializedData().write(to: URL(fileURLWithPath: path("mean.binaryproto")))
        var mismatched = ClassifierOptions()
        mismatched.meanFile = path("mean.binaryproto")
        mismatched.imageDims = (8, 8)
        let mean = TestSupport.error { _ = try self.classifier(options: mismatched) }
        XCTAssertTrue(mean?.message.contains("is 3x4x4 but the images are 3x8x8") ?? false, "\(String(describing: mean))")
        XCTAssertTrue(mean?.hint?.contains("--mean_value 100.000,100.000,100.000") ?? false, "\(String(describing: mean))")
        mismatched.imageDims = nil
        XCTAssertEqual(try classifier(options: mismatched).imageHeight, 4)   // the mean's size

        let trainVal = TestSupport.error {
            _ = try self.classifier(ClassifierFixtures.scoringNet(source: self.path("db")))
        }
        XCTAssertTrue(trainVal?.message.contains("Input layer") ?? false, "\(String(describing: trainVal))")
        XCTAssertTrue(trainVal?.message.contains("'data' is a Data layer") ?? false, "\(String(describing: trainVal))")

        let c = try classifier()
        try "blue\ngreen\n".write(toFile: path("labels.txt"), atomically: true, encoding: .utf8)
        let labels = TestSupport.error { _ = try c.readLabels(self.path("labels.txt")) }
        XCTAssertTrue(labels?.message.contains("has 2 line(s) but 'prob' scores 3 classes") ?? false,
                      "\(String(describing: labels))")
        let missing = TestSupport.error { _ = try c.loadImage(self.path("none.png")) }
        XCTAssertTrue(missing?.message.contains("none.png' does not exist") ?? false, "\(String(describing: missing))")
        try "not an image".write(toFile: path("text.png"), atomically: true, encoding: .utf8)
        XCTAssertNotNil(TestSupport.error { _ = try c.loadImage(self.path("text.png")) })
    }
}
