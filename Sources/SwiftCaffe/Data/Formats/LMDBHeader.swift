import Foundation

/// The two meta pages at the start of an LMDB `data.mdb`, checked before liblmdb maps
/// the file. LMDB trusts them: a database cut short (a copy or download that stopped, a
/// disk that filled) still says it has all its pages, and liblmdb's first read past the
/// end of the file is a SIGBUS that kills the process (found by fuzz/, see
/// docs/reliability.md). Checking that every page the headers name lies inside the
/// file, and that both headers give the same page size (liblmdb places pages by it),
/// turns that into an error naming the database.
///
/// Layout (LMDB 0.9, 64-bit): each meta page is a 16-byte page header (pgno, pad,
/// flags with P_META = 0x08, lower, upper) then MDB_meta: magic 0xBEEFC0DE, version,
/// address, mapsize, two MDB_db records of 48 bytes (the free list's `md_pad` holds
/// the page size; `md_root` is at offset 40 of each), last_pg, txnid. The second meta
/// page starts one page in. LMDB keeps no checksums, so garbage written inside the
/// tree's own pages is not detected here (nor by Caffe).
enum LMDBHeader {
    static let magic: UInt32 = 0xBEEF_C0DE
    static let metaFlag: UInt16 = 0x08
    static let invalidPage = UInt64.max

    /// Throws a SwiftCaffeError naming `database` if `dataFile` is too short for what
    /// its meta pages describe, its meta pages contradict each other or name header
    /// pages as roots, or it has no LMDB header at all.
    static func check(dataFile: String, database: String) throws {
        let fd = open(dataFile, O_RDONLY)
        guard fd >= 0 else { return }  // liblmdb reports an unreadable file itself
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return }
        let fileSize = UInt64(info.st_size)
        var header = [UInt8](repeating: 0, count: 160)
        func readMeta(at offset: UInt64) -> Bool {
            guard offset + UInt64(header.count) <= fileSize else { return false }
            let count = header.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(offset)) }
            return count == header.count
        }
        func truncated(_ detail: String) -> SwiftCaffeError {
            SwiftCaffeError(.io, "LMDB database '\(database)' is truncated: \(detail)",
                            hint: "the database was cut short (an interrupted copy or conversion, a full disk); "
                                + "copy it again or re-run the conversion")
        }
        func corrupt(_ detail: String) -> SwiftCaffeError {
            SwiftCaffeError(.io, "LMDB database '\(database)' is corrupt: \(detail)",
                            hint: "its header pages were overwritten; copy the database again or re-run the conversion")
        }
        guard readMeta(at: 0), u32(header, 16) == magic, u16(header, 10) & metaFlag != 0 else {
            throw SwiftCaffeError(.io, "'\(database)' is not a valid LMDB database: its data.mdb "
                                  + (fileSize < UInt64(header.count) ? "is only \(fileSize) bytes long"
                                     : "does not start with an LMDB header"),
                                  hint: "create it with swiftcaffe convert-imageset or convert-mnist")
        }
        let pageSize = UInt64(u32(header, 40))
        guard pageSize >= 512, pageSize <= 1 << 16, pageSize & (pageSize - 1) == 0 else {
            throw corrupt("its header gives a page size of \(pageSize)")
        }
        for meta in 0..<UInt64(2) {
            guard readMeta(at: meta * pageSize) else {
                throw truncated("data.mdb is \(fileSize) bytes, shorter than its two \(pageSize)-byte header pages")
            }
            guard u32(header, 16) == magic else { continue }  // liblmdb rejects a bad second header itself
            // liblmdb finds the second header one page in by the first's page size, then
            // takes the page size of the newer header and looks for the second header again
            // at that size: past the end of the file it is a SIGBUS inside mdb_env_open,
            // inside it the wrong pages. Every header liblmdb writes repeats the database's
            // one page size, so two sizes mean a damaged header.
            let metaPageSize = UInt64(u32(header, 40))
            guard metaPageSize == pageSize else {
                throw corrupt("its two header pages give different page sizes (\(pageSize) and \(metaPageSize) bytes)")
            }
            let lastPage = u64(header, 136)
            let (pages, o1) = lastPage.addingReportingOverflow(1)
            let (needed, o2) = pages.multipliedReportingOverflow(by: pageSize)
            guard !o1, !o2, needed <= fileSize else {
                throw truncated("its header says it has \(o1 ? "too many" : String(pages)) pages of \(pageSize) bytes "
                                + "but data.mdb is \(fileSize) bytes")
            }
            // A root is a tree page: after the two meta pages (liblmdb asserts root > 1
            // and aborts otherwise) and not past the last page.
            for root in [u64(header, 40 + 40), u64(header, 40 + 48 + 40)] where root != invalidPage {
                guard root > 1, root <= lastPage else {
                    throw corrupt("its header names page \(root) as a root"
                                  + (root > 1 ? ", past its last page \(lastPage)" : ", a header page"))
                }
            }
        }
    }

    private static func u16(_ bytes: [UInt8], _ at: Int) -> UInt16 {
        UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8
    }

    private static func u32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        (0..<4).reduce(0) { $0 | UInt32(bytes[at + $1]) << (8 * UInt32($1)) }
    }

    private static func u64(_ bytes: [UInt8], _ at: Int) -> UInt64 {
        (0..<8).reduce(0) { $0 | UInt64(bytes[at + $1]) << (8 * UInt64($1)) }
    }
}
