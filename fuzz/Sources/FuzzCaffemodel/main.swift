// The `.caffemodel` loader, as `train --weights`, `test --weights` and fine-tuning use
// it: the file is read as a binary NetParameter (modern or V1 `layers`) and its blobs
// are copied, by layer name, into a small real net (convolution, inner product) whose
// layer names the seeds share.
import CaffeProto
import FuzzSupport
import SwiftCaffe

nonisolated(unsafe) let net: Net = {
    do {
        let definition = try NetDefinition.load(path: Fuzz.fixture("caffe/sgd_steps/net.prototxt"))
        let net = try NetBuilder.build(definition)
        try net.allocate()
        return net
    } catch {
        fatalError("fuzz harness: cannot build the target net: \(error)")
    }
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCaffemodel(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let path = Fuzz.file(Fuzz.bytes(start, count), name: "weights.caffemodel")
    Fuzz.expectingUserErrors("the .caffemodel loader") {
        try net.copyTrainedLayers(fromFile: path)
    }
    return 0
}

@_cdecl("FuzzCaffemodel_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    Fuzz.main(argc, argv) { data, size in fuzzCaffemodel(UnsafeRawPointer(data ?? UnsafePointer(bitPattern: 1)!), size) }
}
