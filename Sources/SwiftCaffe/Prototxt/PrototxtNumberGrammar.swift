/// The number literals of protobuf text format, as Google's C++ tokenizer reads them.
///
/// Kept apart from the tokenizer because the rules are fiddly and worth testing on
/// their own: `017` is octal, `08` is an error, `0.5` and `0f` are floats but `05.5`
/// is not, `1.f` is a float (the `f` suffix Caffe files use), and an integer too large
/// for 64 bits is still a valid token (a `float` field can take it).
enum PrototxtNumberGrammar {
    enum Classification: Equatable {
        case integer(PrototxtInteger)
        case float(Double)
        /// Not a number; the hint says why when there is a clear reason.
        case invalid(hint: String?)
    }

    static func classify(_ spelling: String) -> Classification {
        let chars = Array(spelling.utf8)
        guard let first = chars.first else { return .invalid(hint: nil) }

        // Hexadecimal: 0x followed by at least one hex digit.
        if chars.count >= 2, first == UInt8(ascii: "0"), chars[1] | 0x20 == UInt8(ascii: "x") {
            let digits = chars.dropFirst(2)
            if digits.isEmpty { return .invalid(hint: "'0x' must be followed by hex digits") }
            guard digits.allSatisfy({ PrototxtTokenizer.hexValue($0) != nil }) else {
                return .invalid(hint: "hex numbers use only the digits 0-9 and a-f")
            }
            return .integer(PrototxtInteger(magnitude: parse(digits, radix: 16), text: spelling))
        }

        // Integers: all digits. A leading 0 means octal, as in C.
        if chars.allSatisfy(PrototxtTokenizer.isDigit) {
            if first == UInt8(ascii: "0"), chars.count > 1 {
                guard chars.allSatisfy(PrototxtTokenizer.isOctalDigit) else {
                    return .invalid(hint: "numbers starting with 0 are octal and use only the digits 0-7")
                }
                return .integer(PrototxtInteger(magnitude: parse(chars.dropFirst(), radix: 8), text: spelling))
            }
            return .integer(PrototxtInteger(magnitude: parse(chars[...], radix: 10), text: spelling))
        }

        return classifyFloat(chars, spelling: spelling)
    }

    /// `digits [. digits] [e [+-] digits] [f]`, with at least one digit before the
    /// exponent and at least one of `.`, exponent or `f` (otherwise it is junk after an integer).
    private static func classifyFloat(_ chars: [UInt8], spelling: String) -> Classification {
        var i = 0
        func digits() -> String {
            let start = i
            while i < chars.count, PrototxtTokenizer.isDigit(chars[i]) { i += 1 }
            return String(decoding: chars[start..<i], as: UTF8.self)
        }
        let whole = digits()
        var fraction = ""
        var sawPoint = false
        if i < chars.count, chars[i] == UInt8(ascii: ".") {
            sawPoint = true
            i += 1
            fraction = digits()
        }
        if whole.isEmpty && fraction.isEmpty { return .invalid(hint: nil) }
        var exponent = ""
        var sawExponent = false
        if i < chars.count, chars[i] | 0x20 == UInt8(ascii: "e") {
            sawExponent = true
            i += 1
            var sign = ""
            if i < chars.count, chars[i] == UInt8(ascii: "-") || chars[i] == UInt8(ascii: "+") {
                sign = chars[i] == UInt8(ascii: "-") ? "-" : ""
                i += 1
            }
            let value = digits()
            if value.isEmpty { return .invalid(hint: "'e' must be followed by an exponent, as in 1e-4") }
            exponent = "e" + sign + value
        }
        var sawSuffix = false
        if i < chars.count, chars[i] | 0x20 == UInt8(ascii: "f") {
            sawSuffix = true
            i += 1
        }
        guard i == chars.count else {
            if chars.filter({ $0 == UInt8(ascii: ".") }).count > 1 {
                return .invalid(hint: "a number has at most one decimal point")
            }
            return .invalid(hint: nil)
        }
        guard sawPoint || sawExponent || sawSuffix else { return .invalid(hint: nil) }
        if whole.count > 1, whole.first == "0" {
            return .invalid(hint: "numbers starting with 0 are octal integers; remove the leading 0")
        }
        let normalized = (whole.isEmpty ? "0" : whole) + "." + (fraction.isEmpty ? "0" : fraction) + exponent
        guard let value = Double(normalized) else { return .invalid(hint: nil) }
        return .float(value)
    }

    /// The value of `digits` in `radix`, or nil if it exceeds UInt64 (never traps).
    private static func parse(_ digits: ArraySlice<UInt8>, radix: Int) -> UInt64? {
        var value: UInt64 = 0
        for d in digits {
            guard let v = PrototxtTokenizer.hexValue(d) else { return nil }
            let (shifted, o1) = value.multipliedReportingOverflow(by: UInt64(radix))
            let (sum, o2) = shifted.addingReportingOverflow(UInt64(v))
            if o1 || o2 { return nil }
            value = sum
        }
        return value
    }
}
