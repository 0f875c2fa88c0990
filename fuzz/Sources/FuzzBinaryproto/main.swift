// The `.binaryproto` mean reader, as a Data layer's transform_param uses it: the file
// as mean_file and as pca_file (PCA lighting), then one transform of an image of the
// mean's shape.
import CaffeProto
import FuzzSupport
import SwiftCaffe

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBinaryproto(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let path = Fuzz.file(Fuzz.bytes(start, count), name: "mean.binaryproto")
    Fuzz.expectingUserErrors("MeanFile") {
        let mean = try MeanFile(path: path)
        _ = mean.channelMeans
        var param = Caffe_TransformationParameter()
        param.meanFile = path
        if mean.shape.channels == 3 && mean.hasPCA {
            param.pcaFile = path
            param.pcaLightingStd = 0.1
        }
        let transformer = try DataTransformer(param: param, phase: .train)
        guard mean.shape.count <= 1 << 20 else { return }
        let input = [UInt8](repeating: 128, count: mean.shape.count)
        var output = [Float](repeating: 0, count: mean.shape.count)
        try input.withUnsafeBufferPointer { inBuffer in
            try output.withUnsafeMutableBufferPointer { outBuffer in
                try transformer.transform(bytes: inBuffer, shape: mean.shape, into: outBuffer.baseAddress!,
                                          random: RandomSource(seed: 1), source: "a fuzz image")
            }
        }
    }
    return 0
}

@_cdecl("FuzzBinaryproto_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    Fuzz.main(argc, argv) { data, size in fuzzBinaryproto(UnsafeRawPointer(data ?? UnsafePointer(bitPattern: 1)!), size) }
}
