// swift-tools-version:6.0
// libFuzzer harnesses for SwiftCaffe's readers: one executable per file format.
// A separate package so that the normal build and test suite are untouched; built
// and run by scripts/fuzz (see docs/reliability.md).
import Foundation
import PackageDescription

// A path dependency's identity is its folder's name (the checkout may be called
// anything, e.g. a git worktree), so products are looked up by it.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

let targets = [
    "FuzzNetPrototxt", "FuzzSolverPrototxt", "FuzzCaffemodel", "FuzzSolverstate", "FuzzBinaryproto",
    "FuzzDatum", "FuzzIDX", "FuzzJPEG", "FuzzPNG", "FuzzLMDB",
]

let package = Package(
    name: "SwiftCaffeFuzz",
    dependencies: [
        .package(path: ".."),
    ],
    targets: [
        // libFuzzer's driver, declared for Swift (the harnesses' entry points call it).
        .target(name: "CFuzzDriver"),
        .target(
            name: "FuzzSupport",
            dependencies: ["CFuzzDriver", .product(name: "SwiftCaffe", package: root)]
        ),
    ] + targets.map { name in
        .executableTarget(
            name: name,
            dependencies: [
                "FuzzSupport",
                .product(name: "SwiftCaffe", package: root),
                .product(name: "CaffeProto", package: root),
            ]
        )
    },
    swiftLanguageModes: [.v6]
)
