#if canImport(Glibc)
import Glibc
#endif
import BerthBase
import Foundation
import TestSupport
import Testing
@testable import Snapshots

struct LayerStoreTests {
    @Test func commitPutsTheLayerInPlace() throws {
        let work = try TestDirectory()
        let store = try LayerStore(root: "\(work.path)/store")
        let id = chainID(7)
        #expect(!store.contains(id))
        let diff = try addLayer(store, id) { try write("hello", to: "\($0)/etc/greeting") }
        #expect(store.contains(id))
        #expect(diff == "\(store.root)/layers/\(id.encoded)/diff")
        #expect(read("\(diff)/etc/greeting") == "hello")
        #expect(store.all() == [id])
        #expect(try store.metadata(id)?.diffID == id)
        #expect(FileSystem.list("\(store.root)/staging").isEmpty)
        let short = try store.shortID(id)
        #expect(short.utf8.count == 10)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: "\(store.root)/l/\(short)") == "../layers/\(id.encoded)/diff")
        #expect(store.usage().inodes >= 4)
    }

    /// Each layer is walked once: a file added behind the store's back is not seen, by this
    /// store nor by one opened later (the figure is kept in the layer's `usage` file); a
    /// removed layer leaves the total.
    @Test func usageMeasuresEachLayerOnce() throws {
        let work = try TestDirectory()
        let store = try LayerStore(root: "\(work.path)/store")
        let small = chainID(2), large = chainID(3)
        _ = try addLayer(store, small) { try write("a", to: "\($0)/a") }
        _ = try addLayer(store, large) { try write(String(repeating: "x", count: 64 * 1024), to: "\($0)/big") }
        let first = store.usage()
        let each = [store.usage(of: small), store.usage(of: large)]
        #expect(first.bytes == each[0].bytes + each[1].bytes && first.inodes == each[0].inodes + each[1].inodes)
        #expect(each[1].bytes >= 64 * 1024 && each[0].inodes >= 3)
        #expect(FileSystem.exists("\(store.root)/layers/\(large.encoded)/usage"))

        try write("more", to: "\(store.diffPath(large))/more")
        #expect(store.usage() == first)
        #expect(try LayerStore(root: store.root).usage() == first)

        try store.remove(large)
        #expect(store.usage() == each[0])
    }

    @Test func losingACommitRaceDiscardsQuietly() throws {
        let work = try TestDirectory()
        let store = try LayerStore(root: "\(work.path)/store")
        let id = chainID(1)
        let first = try store.stagingDirectory(for: id)
        let second = try store.stagingDirectory(for: id)
        #expect(first != second)
        try write("first", to: "\(first)/who")
        try write("second", to: "\(second)/who")
        try store.commit(staging: first, as: id)
        try store.commit(staging: second, as: id)
        #expect(read("\(store.diffPath(id))/who") == "first")
        #expect(FileSystem.list("\(store.root)/staging").isEmpty)
        #expect(FileSystem.list("\(store.root)/l").count == 1)
    }

    @Test func removeDeletesLayerAndLink() throws {
        let work = try TestDirectory()
        let store = try LayerStore(root: "\(work.path)/store")
        try addLayer(store, chainID(1)) { try write("x", to: "\($0)/x") }
        try addLayer(store, chainID(2))
        try store.remove(chainID(1))
        #expect(!store.contains(chainID(1)))
        #expect(store.all() == [chainID(2)])
        #expect(FileSystem.list("\(store.root)/l").count == 1)
        #expect(FileSystem.list("\(store.root)/staging").isEmpty)
        #expect((try? store.remove(chainID(1))) == nil)
    }

    @Test func staleStagingAndDanglingLinksAreCleared() throws {
        let work = try TestDirectory()
        let store = try LayerStore(root: "\(work.path)/store")
        try addLayer(store, chainID(1))
        let abandoned = try store.stagingDirectory(for: chainID(2))
        try write("partial", to: "\(abandoned)/file")
        #expect(symlink("../layers/\(chainID(3).encoded)/diff", "\(store.root)/l/DANGLING00") == 0)

        let reopened = try LayerStore(root: store.root)
        reopened.removeStaleStaging()
        #expect(FileSystem.list("\(store.root)/staging").isEmpty)
        #expect(FileSystem.list("\(store.root)/l") == [try store.shortID(chainID(1))])
        #expect(reopened.all() == [chainID(1)])
    }

    @Test func commitRefusesForeignDirectories() throws {
        let work = try TestDirectory()
        let store = try LayerStore(root: "\(work.path)/store")
        #expect(throws: BerthError.self) { try store.commit(staging: work.path, as: chainID(1)) }
        #expect(!store.contains(chainID(1)))
    }
}
