/// Images per second, the one formula behind `time`'s "Images per second", the
/// training progress line and `train`'s closing report.
public enum Throughput {
    /// `images / seconds`; nil when no time was measured.
    public static func imagesPerSecond(images: Int, seconds: Double) -> Double? {
        seconds > 0 ? Double(images) / seconds : nil
    }
}
