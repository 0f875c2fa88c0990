/// The shape of one example, without the batch axis: channels × height × width, the
/// way a Datum, an image, a mean file and a data layer's top (per example) all have it.
public struct ExampleShape: Hashable, Sendable, CustomStringConvertible {
    public var channels: Int
    public var height: Int
    public var width: Int

    public init(channels: Int, height: Int, width: Int) {
        self.channels = channels
        self.height = height
        self.width = width
    }

    /// The number of values: channels · height · width.
    public var count: Int { channels * height * width }

    /// "CxHxW", the way shapes are written in messages.
    public var description: String { "\(channels)x\(height)x\(width)" }

    /// The blob shape of `batchSize` such examples: [N, C, H, W].
    public func batch(_ batchSize: Int) -> [Int] { [batchSize, channels, height, width] }
}
