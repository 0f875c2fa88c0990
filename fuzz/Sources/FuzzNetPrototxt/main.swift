// The net reader, as `swiftcaffe summary NET` uses it: the prototxt text is parsed and
// checked against caffe.proto, legacy forms are upgraded, and the net is built for
// inspection (shape inference without allocating blobs or reading data) in both phases.
import CaffeProto
import FuzzSupport
import SwiftCaffe

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNetPrototxt(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let path = Fuzz.file(Fuzz.bytes(start, count), name: "net.prototxt")
    Fuzz.expectingUserErrors("the net reader") {
        let definition = try NetDefinition.load(path: path)
        for phase in [Caffe_Phase.train, .test] {
            Fuzz.expectingUserErrors("building the net for inspection") {
                var options = NetBuildOptions(phase: phase, inspectOnly: true)
                options.allowsUnknownShapes = true
                let net = try NetBuilder.build(definition, options: options)
                _ = NetSummary(net: net).render()
            }
        }
    }
    return 0
}

@_cdecl("FuzzNetPrototxt_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    Fuzz.main(argc, argv) { data, size in fuzzNetPrototxt(UnsafeRawPointer(data ?? UnsafePointer(bitPattern: 1)!), size) }
}
