// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "SwiftCaffe",
    products: [
        .library(name: "SwiftCaffe", targets: ["SwiftCaffe"]),
        .library(name: "CaffeProto", targets: ["CaffeProto"]),
        .executable(name: "swiftcaffe", targets: ["SwiftCaffeCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        // caffe.proto and the Swift generated from it (scripts/generate-proto).
        .target(
            name: "CaffeProto",
            dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")],
            exclude: ["caffe.proto"]
        ),
        // OpenBLAS through its CBLAS header (Debian: libopenblas-dev).
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS"),
        // LMDB, Caffe's dataset database (Debian: liblmdb-dev).
        .systemLibrary(name: "CLMDB", path: "Sources/CLMDB"),
        // zlib, for gzipped IDX (MNIST) files (Debian: zlib1g-dev).
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        // libjpeg-turbo's TurboJPEG API, JPEG decoding/encoding (Debian: libturbojpeg0-dev).
        .systemLibrary(name: "CTurboJPEG", path: "Sources/CTurboJPEG"),
        // libpng, PNG decoding/encoding (Debian: libpng-dev).
        .systemLibrary(name: "CPNG", path: "Sources/CPNG"),
        // Open MPI, data-parallel training under mpirun (Debian: libopenmpi-dev, openmpi-bin).
        .systemLibrary(name: "CMPI", path: "Sources/CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev"])]),
        // HDF5's C API, for HDF5Data/HDF5Output (Debian: libhdf5-dev, serial flavour).
        .systemLibrary(name: "CHDF5", path: "Sources/CHDF5"),
        // oneDNN's C API, the fast CPU engine's kernels (Debian: libdnnl-dev).
        .systemLibrary(name: "CDNNL", path: "Sources/CDNNL"),
        .target(
            name: "SwiftCaffe",
            dependencies: [
                "CaffeProto",
                "CBLAS",
                "CLMDB",
                "CZlib",
                "CTurboJPEG",
                "CPNG",
                "CMPI",
                "CHDF5",
                "CDNNL",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        .executableTarget(
            name: "SwiftCaffeCLI",
            dependencies: [
                "SwiftCaffe",
                "CaffeProto",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Counts heap allocations (tests prove the hot path allocates nothing).
        .target(name: "MallocCounter", path: "Tests/MallocCounter"),
        .testTarget(
            name: "SwiftCaffeTests",
            dependencies: ["SwiftCaffe", "CaffeProto", "CHDF5", "MallocCounter"],
            exclude: ["Fixtures"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
