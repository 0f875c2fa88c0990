import Foundation

/// The rows an HDF5Data layer reads, in Caffe's order: the files of the list file one
/// after the other, each file's rows in order; with `shuffle` the order of the files is
/// shuffled at the start of every pass over the list and the rows of each file every
/// time the file is loaded (Caffe's `file_permutation_` and `data_permutation_`).
///
/// Caffe draws those permutations from one running generator; here each one comes from
/// a generator seeded with (seed, pass, file), so the row read at any position is a
/// function of the position: `seek` (resuming from a snapshot) lands on the very row.
///
/// Every file must hold every dataset named by the layer's tops, all with the same
/// number of rows, each dataset with the rows of the first file (which fix the tops).
/// One file at a time is held in memory, as in Caffe.
final class HDF5Source {
    let listPath: String
    let files: [String]
    let datasets: [String]
    /// Per dataset: the shape of one row (the dataset's dimensions after the first).
    let rowShapes: [[Int]]
    private let rowWidths: [Int]
    private let rowCounts: [Int]
    private let totalRows: Int64
    private let shuffle: Bool
    private let seed: UInt64

    // The cursor: the next row is row `rowOrder[rowInFile]` of file `fileOrder[fileInPass]`.
    private var pass: Int64 = -1
    private var fileOrder: [Int] = []
    private var fileInPass = 0
    private var rowOrder: [Int] = []
    private var rowInFile = 0
    /// The values of the loaded file, one array per dataset.
    private var loaded: [[Float]] = []
    private var loadedFile = -1
    private(set) var position: Int64 = 0

    /// Reads the list file and the dimensions (not the data) of every file's datasets.
    init(listPath: String, datasets: [String], shuffle: Bool, seed: UInt64) throws {
        self.listPath = listPath
        self.datasets = datasets
        self.shuffle = shuffle
        self.seed = seed
        let text = String(decoding: try InputFile.read(listPath, what: "HDF5 list file",
                                                       hint: Self.listHint), as: UTF8.self)
        files = text.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        guard !files.isEmpty else {
            throw SwiftCaffeError(.io, "HDF5 list file '\(listPath)' names no files", hint: Self.listHint)
        }
        var rowShapes: [[Int]] = []
        var rowCounts: [Int] = []
        for (k, path) in files.enumerated() {
            let file = try HDF5File.open(reading: path, hint: "'\(listPath)' line \(k + 1) names it; "
                                         + "relative paths are taken from the current directory, as in Caffe")
            var rows: Int?
            for (j, dataset) in datasets.enumerated() {
                let shape = try file.shape(of: dataset)
                if let rows, shape[0] != rows {
                    throw SwiftCaffeError(.io, "dataset '\(dataset)' of HDF5 file '\(path)' has \(shape[0]) rows "
                                          + "but '\(datasets[0])' has \(rows)",
                                          hint: "every dataset an HDF5Data layer reads holds one row per example")
                }
                rows = shape[0]
                let rowShape = Array(shape.dropFirst())
                if k == 0 {
                    rowShapes.append(rowShape)
                } else if rowShape != rowShapes[j] {
                    throw SwiftCaffeError(.io, "dataset '\(dataset)' of HDF5 file '\(path)' has rows of shape "
                                          + "\(Blob.describe(rowShape)), but in '\(files[0])' they are "
                                          + "\(Blob.describe(rowShapes[j]))",
                                          hint: "every file of the list must hold rows of the same shape")
                }
            }
            guard let rows, rows > 0 else {
                throw SwiftCaffeError(.io, "HDF5 file '\(path)' has no rows in dataset '\(datasets[0])'")
            }
            rowCounts.append(rows)
        }
        self.rowShapes = rowShapes
        rowWidths = rowShapes.map { $0.reduce(1, *) }
        self.rowCounts = rowCounts
        totalRows = rowCounts.reduce(0) { $0 + Int64($1) }
    }

    static let listHint = "an HDF5Data source is a text file naming one .h5 file per line"

    /// Makes example number `position` the next one read.
    func seek(to position: Int64) throws {
        self.position = position
        let newPass = position / totalRows
        var offset = Int(position % totalRows)
        startPass(newPass)
        fileInPass = 0
        while offset >= rowCounts[fileOrder[fileInPass]] {
            offset -= rowCounts[fileOrder[fileInPass]]
            fileInPass += 1
        }
        try load()
        rowInFile = offset
    }

    /// Copies the next `count` rows of dataset j into `tops[j]` (one row after another),
    /// moving on to the next file (and pass) as Caffe's `Next()` does.
    func read(rows count: Int, into tops: [Blob]) throws {
        if pass < 0 { try seek(to: position) }
        for item in 0..<count {
            if rowInFile == rowCounts[fileOrder[fileInPass]] {
                fileInPass += 1
                if fileInPass == files.count {
                    startPass(pass + 1)
                    fileInPass = 0
                }
                try load()
                rowInFile = 0
            }
            let row = rowOrder[rowInFile]
            for j in 0..<datasets.count {
                let width = rowWidths[j]
                loaded[j].withUnsafeBufferPointer { values in
                    if let base = values.baseAddress {
                        (tops[j].data + item * width).update(from: base + row * width, count: width)
                    }
                }
            }
            rowInFile += 1
            position += 1
        }
    }

    private func startPass(_ newPass: Int64) {
        guard newPass != pass else { return }
        pass = newPass
        let identity = Array(files.indices)
        fileOrder = shuffle && files.count > 1 ? Self.shuffled(identity, seed: mix(1)) : identity
    }

    /// Loads file `fileOrder[fileInPass]` (unless it is loaded) and orders its rows.
    private func load() throws {
        let file = fileOrder[fileInPass]
        if file != loadedFile {
            let opened = try HDF5File.open(reading: files[file])
            loaded = try datasets.map { try opened.read($0).values }
            loadedFile = file
        }
        let identity = Array(0..<rowCounts[file])
        rowOrder = shuffle ? Self.shuffled(identity, seed: mix(2 + UInt64(fileInPass))) : identity
    }

    /// A seed for this pass and `salt` (which permutation).
    private func mix(_ salt: UInt64) -> UInt64 {
        seed ^ (UInt64(bitPattern: pass) &* 0x9E37_79B9_7F4A_7C15) ^ (salt &* 0xC2B2_AE3D_27D4_EB4F)
    }

    /// Fisher–Yates with a generator of its own.
    static func shuffled(_ values: [Int], seed: UInt64) -> [Int] {
        var out = values
        let random = RandomSource(seed: seed)
        var i = out.count - 1
        while i > 0 {
            out.swapAt(i, random.nextInt(below: i + 1))
            i -= 1
        }
        return out
    }
}
