import XCTest
@testable import SwiftCaffe
import CaffeProto

/// Every mistake is reported as file:line:column with the exact message and hint a
/// user sees. The expected errors are compared whole (kind, message, location,
/// layer, field, hint).
final class PrototxtErrorTests: XCTestCase {
    private let file = "net.prototxt"

    private func decodeError(_ text: String, sourceFile: StaticString = #filePath,
                             line: UInt = #line) -> SwiftCaffeError? {
        do {
            _ = try Prototxt.decode(Caffe_NetParameter.self, text: text, file: file)
            XCTFail("expected an error", file: sourceFile, line: line)
        } catch let error as SwiftCaffeError {
            return error
        } catch {
            XCTFail("expected SwiftCaffeError, got \(error)", file: sourceFile, line: line)
        }
        return nil
    }

    private func expect(_ text: String, _ kind: SwiftCaffeError.Kind, at position: (Int, Int), _ message: String,
                        field: String? = nil, layer: String? = nil, hint: String? = nil,
                        sourceFile: StaticString = #filePath, line: UInt = #line) {
        let expected = SwiftCaffeError(kind, message, location: SourceLocation(file: file, line: position.0, column: position.1),
                                       layer: layer, field: field, hint: hint)
        XCTAssertEqual(decodeError(text, sourceFile: sourceFile, line: line), expected, file: sourceFile, line: line)
    }

    // MARK: - Schema errors

    func testUnknownFieldSuggestsClosestName() {
        let text = """
        layer {
          name: "conv1"
          type: "Convolution"
          convolution_param { num_output: 8 kernal_size: 3 }
        }
        """
        expect(text, .schema, at: (4, 37), "unknown field 'kernal_size' in ConvolutionParameter",
               field: "layer.convolution_param.kernal_size", layer: "conv1", hint: "did you mean 'kernel_size'?")
        XCTAssertEqual(decodeError(text)?.description, """
            net.prototxt:4:37: error: unknown field 'kernal_size' in ConvolutionParameter
              layer 'conv1', field 'layer.convolution_param.kernal_size'
              hint: did you mean 'kernel_size'?
            """)
    }

    func testMisplacedFieldSaysWhereItBelongs() {
        expect(#"layer { name: "pool1" type: "Pooling" kernel_size: 3 }"#, .schema, at: (1, 39),
               "unknown field 'kernel_size' in LayerParameter", field: "layer.kernel_size", layer: "pool1",
               hint: "'kernel_size' belongs inside convolution_param or pooling_param")
    }

    func testUnknownFieldWithNothingCloseListsFieldsOrSaysWhereToLook() {
        expect("foo: 1", .schema, at: (1, 1), "unknown field 'foo' in NetParameter", field: "foo",
               hint: "valid fields: name, input, input_shape, input_dim, force_backward, state, debug_info, engine, layer, layers")
        let layerFields = PrototxtSchema.caffe.message(named: "caffe.LayerParameter")?.fields.count ?? 0
        expect("layer { foo: 1 }", .schema, at: (1, 9), "unknown field 'foo' in LayerParameter", field: "layer.foo",
               hint: "LayerParameter has \(layerFields) fields; see 'message LayerParameter' in caffe.proto")
    }

    func testUnknownEnumValueSuggestsAndListsValues() {
        expect("layer { pooling_param { pool: MAXX } }", .schema, at: (1, 31),
               "unknown value 'MAXX' for field 'pool' (PoolMethod)", field: "layer.pooling_param.pool",
               hint: "did you mean 'MAX'? valid values: MAX, AVE, STOCHASTIC")
        expect("layer { pooling_param { pool: 7 } }", .schema, at: (1, 31),
               "invalid value '7' for field 'pool' (PoolMethod)", field: "layer.pooling_param.pool",
               hint: "valid values: MAX = 0, AVE = 1, STOCHASTIC = 2")
        expect(#"layer { pooling_param { pool: "MAX" } }"#, .schema, at: (1, 31),
               #"field 'pool' takes an enum value (PoolMethod), not a string; found "MAX""#,
               field: "layer.pooling_param.pool", hint: "remove the quotes: pool: MAX")
    }

    func testV1LayerTypeIsAnEnum() {
        let error = decodeError("layers { name: \"c\" type: Convolution }")
        XCTAssertEqual(error?.message, "unknown value 'Convolution' for field 'type' (LayerType)")
        XCTAssertEqual(error?.location, SourceLocation(file: file, line: 1, column: 26))
        XCTAssertEqual(error?.layer, "c")
        XCTAssertTrue(error?.hint?.hasPrefix("did you mean 'CONVOLUTION'? valid values: NONE, ABSVAL, ACCURACY,") == true,
                      error?.hint ?? "no hint")
    }

    func testUnquotedStringSuggestsQuotes() {
        expect(#"layer { name: "conv1" type: Convolution }"#, .schema, at: (1, 29),
               "expected a string for field 'type' (string), found 'Convolution'", field: "layer.type", layer: "conv1",
               hint: #"put the value in double quotes: type: "Convolution""#)
        expect("name: 5", .schema, at: (1, 7), "expected a string for field 'name' (string), found '5'", field: "name",
               hint: #"put the value in double quotes: name: "5""#)
    }

    func testStringWhereNumberExpected() {
        expect(#"layer { convolution_param { num_output: "96" } }"#, .schema, at: (1, 41),
               #"expected an integer for field 'num_output' (uint32), found string "96""#,
               field: "layer.convolution_param.num_output", hint: "remove the quotes: num_output: 96")
        expect(#"layer { loss_weight: "x" }"#, .schema, at: (1, 22),
               #"expected a number for field 'loss_weight' (float), found string "x""#, field: "layer.loss_weight")
        expect("force_backward: yes", .schema, at: (1, 17),
               "expected true or false for field 'force_backward' (bool), found 'yes'", field: "force_backward")
    }

    func testFloatWhereIntegerExpected() {
        expect("layer { convolution_param { num_output: 1.5 } }", .schema, at: (1, 41),
               "expected an integer for field 'num_output' (uint32), found '1.5'", field: "layer.convolution_param.num_output")
        expect("layer { convolution_param { num_output: 96.0 } }", .schema, at: (1, 41),
               "expected an integer for field 'num_output' (uint32), found '96.0'", field: "layer.convolution_param.num_output",
               hint: "write 'num_output: 96'")
    }

    func testNegativeValueForUnsignedField() {
        expect("layer { convolution_param { num_output: -1 } }", .schema, at: (1, 41),
               "field 'num_output' (uint32) cannot be negative, found '-1'", field: "layer.convolution_param.num_output")
    }

    func testIntegersOutOfRange() {
        expect("input_dim: 2147483648", .schema, at: (1, 12),
               "value '2147483648' is out of range for field 'input_dim' (int32: -2147483648 to 2147483647)",
               field: "input_dim")
        expect("input_dim: -2147483649", .schema, at: (1, 12),
               "value '-2147483649' is out of range for field 'input_dim' (int32: -2147483648 to 2147483647)",
               field: "input_dim")
        expect("layer { convolution_param { group: 0x100000000 } }", .schema, at: (1, 36),
               "value '0x100000000' is out of range for field 'group' (uint32: 0 to 4294967295)",
               field: "layer.convolution_param.group")
        expect("input_shape { dim: 99999999999999999999 }", .schema, at: (1, 20),
               "value '99999999999999999999' is out of range for field 'dim' (int64: -9223372036854775808 to 9223372036854775807)",
               field: "input_shape.dim")
    }

    func testNonRepeatedFieldSetTwice() {
        let text = """
        layer {
          name: "conv1"
          convolution_param {
            num_output: 8
            kernel_size: 3
            num_output: 16
          }
        }
        """
        expect(text, .schema, at: (6, 5), "field 'num_output' is set twice (first at line 4); it is not repeated",
               field: "layer.convolution_param.num_output", layer: "conv1")
        expect(#"layer { name: "a" name: "b" }"#, .schema, at: (1, 19),
               "field 'name' is set twice (first at line 1, column 9); it is not repeated", field: "layer.name", layer: "a")
    }

    func testMessageAndScalarMixUps() {
        expect("name { }", .schema, at: (1, 6), "field 'name' (string) takes a single value, not a message",
               field: "name", hint: "write 'name: <value>'")
        expect("layer: 5", .schema, at: (1, 8),
               "field 'layer' is a message (LayerParameter); expected '{' after it, found '5'",
               field: "layer", hint: "write 'layer { ... }'")
        expect(#"name: ["a"]"#, .schema, at: (1, 7), "field 'name' (string) is not repeated; it takes one value, not a list",
               field: "name")
    }

    func testInvalidUTF8InStringField() {
        expect(#"name: "\xFF""#, .schema, at: (1, 7), "the value of field 'name' (string) is not valid UTF-8",
               field: "name", hint: "string fields hold text; check the \\x and octal escapes")
    }

    func testColumnsCountCharactersNotBytes() {
        expect("name: \"日本語\" foo: 1", .schema, at: (1, 13), "unknown field 'foo' in NetParameter", field: "foo",
               hint: "valid fields: name, input, input_shape, input_dim, force_backward, state, debug_info, engine, layer, layers")
    }

    // MARK: - Syntax errors

    func testMissingColonBeforeScalar() {
        expect("layer {\n  name \"conv1\"\n}", .syntax, at: (2, 8),
               #"expected ':' after field name 'name', found "conv1""#, hint: #"write 'name: "conv1"'"#)
        expect("input_dim [1, 2]", .syntax, at: (1, 11), "expected ':' after field name 'input_dim', found '['",
               hint: "a list of values is written 'input_dim: [1, 2, 3]'")
    }

    func testMissingValue() {
        expect("name: }", .syntax, at: (1, 7), "expected a value after 'name:', found '}'")
        expect("input_dim: -", .syntax, at: (1, 13), "expected a number after '-', found end of file")
    }

    func testUnterminatedString() {
        expect("layer {\n  name: \"conv1\n}", .syntax, at: (2, 9), "unterminated string (missing closing \")",
               hint: "strings cannot span lines; close it with \" on the same line")
    }

    func testUnexpectedEndOfFileNamesOpenBrace() {
        let text = """
        layer {
          name: "a"
          convolution_param {
            num_output: 1
        }
        """
        expect(text, .syntax, at: (5, 2),
               "unexpected end of file: '{' opened at line 1, column 7 for field 'layer' is not closed",
               hint: "add '}' to close 'layer', or look for a missing '}' inside it")
        expect("input_dim: [1, 2", .syntax, at: (1, 17),
               "unexpected end of file: '[' opened at line 1, column 12 for field 'input_dim' is not closed",
               hint: "add ']' to close the list")
    }

    func testStrayAndMismatchedClosers() {
        expect(#"layer { name: "a" } }"#, .syntax, at: (1, 21), "stray '}' with no matching '{'",
               hint: "remove it, or look for a missing '{' earlier")
        expect(#"layer < name: "a" }"#, .syntax, at: (1, 19),
               "expected '>' to close '<' opened at line 1, column 7, found '}'")
        expect("input_dim: [1 2]", .syntax, at: (1, 15),
               "expected ',' or ']' in the list opened at line 1, column 12, found '2'")
    }

    func testInvalidCharacters() {
        expect(#"name: "a" @"#, .syntax, at: (1, 11), "invalid character '@' (U+0040)")
        expect("name: \u{201C}conv1\u{201D}", .syntax, at: (1, 7), "invalid character '\u{201C}' (U+201C)",
               hint: "typographic quotes do not delimit strings; use straight quotes \"")
        expect("name = 1", .syntax, at: (1, 6), "invalid character '=' (U+003D)",
               hint: "fields are written 'name: value', with a colon")
        expect("[caffe.ext] { }", .syntax, at: (1, 1), "extension and Any field names ('[...]') are not supported",
               hint: "caffe.proto defines no extensions; write plain field names")
    }

    func testBadNumbers() {
        expect("input_dim: 1.2.3", .syntax, at: (1, 12), "invalid number '1.2.3'",
               hint: "a number has at most one decimal point")
        expect("input_dim: 0x", .syntax, at: (1, 12), "invalid number '0x'", hint: "'0x' must be followed by hex digits")
        expect("input_dim: 08", .syntax, at: (1, 12), "invalid number '08'",
               hint: "numbers starting with 0 are octal and use only the digits 0-7")
        expect("input_dim: 1e", .syntax, at: (1, 12), "invalid number '1e'",
               hint: "'e' must be followed by an exponent, as in 1e-4")
        expect("input_dim: 3x3", .syntax, at: (1, 12), "invalid number '3x3'")
    }

    func testBadEscape() {
        expect(#"name: "a\qb""#, .syntax, at: (1, 9), "invalid escape sequence '\\q' in string",
               hint: "valid escapes: \\n \\t \\r \\\\ \\\" \\' \\xHH \\NNN (octal) \\uHHHH")
    }

    // MARK: - Files

    func testBinaryOrNonUTF8FileIsRejectedWithPosition() throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("prototxt-tests-\(ProcessInfo.processInfo.processIdentifier)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("weights.caffemodel").path
        try Data([0x6E, 0x61, 0x6D, 0x65, 0x3A, 0x20, 0x22, 0xC3, 0xA9, 0x22, 0x0A, 0x05, 0x41, 0xFF, 0x00]).write(to: URL(fileURLWithPath: path))
        let binaryHint = "prototxt files are protobuf text format; binary files (.caffemodel, .binaryproto, .solverstate) cannot be read as text"
        XCTAssertThrowsError(try Prototxt.load(Caffe_NetParameter.self, path: path)) { error in
            XCTAssertEqual(error as? SwiftCaffeError,
                           SwiftCaffeError(.syntax, "file is not valid UTF-8 text (byte 0xFF)",
                                           location: SourceLocation(file: path, line: 2, column: 3), hint: binaryHint))
        }
        // Valid UTF-8 but binary (control bytes): the tokenizer names the character.
        XCTAssertThrowsError(try Prototxt.decode(Caffe_NetParameter.self, bytes: [0x0A, 0x05, 0x63, 0x00], file: "b")) { error in
            XCTAssertEqual(error as? SwiftCaffeError,
                           SwiftCaffeError(.syntax, "invalid character U+0005", location: SourceLocation(file: "b", line: 2, column: 1),
                                           hint: "control characters are not allowed; is this a binary file rather than protobuf text format?"))
        }
    }

    func testMissingFileIsAnIOError() {
        XCTAssertThrowsError(try Prototxt.load(Caffe_NetParameter.self, path: "/nonexistent/x.prototxt")) { error in
            XCTAssertEqual(error as? SwiftCaffeError,
                           SwiftCaffeError(.io, "cannot read '/nonexistent/x.prototxt': no such file or directory"))
        }
        XCTAssertThrowsError(try Prototxt.load(Caffe_NetParameter.self, path: "/")) { error in
            XCTAssertEqual((error as? SwiftCaffeError)?.kind, .io)
            XCTAssertEqual((error as? SwiftCaffeError)?.message, "cannot read '/': is a directory")
        }
    }
}
