import ArgumentParser
import SwiftCaffe

/// The data tools' --backend, checked as it is parsed. Caffe's tools also take leveldb;
/// SwiftCaffe reads and writes only LMDB.
struct BackendOption: ParsableArguments {
    @Option(help: "The database backend (only lmdb).")
    var backend = "lmdb"

    func validate() throws {
        try reportingErrors {
            guard backend.lowercased() == "lmdb" else {
                throw SwiftCaffeError(.usage, "unsupported backend '\(backend)': the data tools read and write only lmdb",
                                      hint: "omit --backend or pass --backend lmdb")
            }
        }
    }
}
