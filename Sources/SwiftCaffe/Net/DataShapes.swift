/// Shapes given for data layers whose source does not exist yet, so that a net can be
/// inspected (summary, draw) or timed before its database is made (`swiftcaffe …
/// --data-shape N,C,H,W`). Used by inspect-only builds only: a net that runs reads
/// its data.
///
/// A shape with a top name applies to the data layer producing that top; a shape
/// without one to every data layer's first top. A data layer's label top then has
/// the shape N (the given shape's first dimension).
public struct DataShapes: Sendable, Equatable {
    /// For every data layer's first top, unless named in `byTop`.
    public var all: [Int]?
    /// For the data layer whose first top has this name.
    public var byTop: [String: [Int]] = [:]

    public init(all: [Int]? = nil, byTop: [String: [Int]] = [:]) {
        self.all = all
        self.byTop = byTop
    }

    /// Parses "N,C,H,W" or "top=N,C,H,W" (dimensions separated by commas or x).
    public init(parsing arguments: [String]) throws {
        for argument in arguments {
            var name: String?
            var dims = Substring(argument)
            if let equals = argument.firstIndex(of: "=") {
                name = String(argument[..<equals])
                dims = argument[argument.index(after: equals)...]
            }
            let parts = dims.split(separator: ",", omittingEmptySubsequences: false)
                .flatMap { $0.split(separator: "x", omittingEmptySubsequences: false) }
            let shape = parts.compactMap { Int($0) }
            guard name?.isEmpty != true, !parts.isEmpty, shape.count == parts.count, shape.allSatisfy({ $0 > 0 }) else {
                throw SwiftCaffeError(.usage, "cannot read the data shape '\(argument)'", field: "--data-shape",
                                      hint: "write N,C,H,W (positive numbers), or top=N,C,H,W for one data top, "
                                          + "e.g. --data-shape 64,1,28,28")
            }
            if let name {
                guard byTop[name] == nil else {
                    throw SwiftCaffeError(.usage, "the shape of '\(name)' is given twice", field: "--data-shape")
                }
                byTop[name] = shape
            } else {
                guard all == nil else {
                    throw SwiftCaffeError(.usage, "two data shapes without a top name", field: "--data-shape",
                                          hint: "name the tops: --data-shape data=N,C,H,W --data-shape other=N,C,H,W")
                }
                all = shape
            }
        }
    }

    public var isEmpty: Bool { all == nil && byTop.isEmpty }

    /// The shape given for a data layer whose first top is `top`, if any.
    public func shape(forTop top: String) -> [Int]? { byTop[top] ?? all }
}
