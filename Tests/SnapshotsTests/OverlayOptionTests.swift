#if canImport(Glibc)
import Glibc
#endif
import BerthBase
import Foundation
import TestSupport
import Testing
@testable import Snapshots

/// What the snapshot says to mount, checked without mounting.
struct OverlayOptionTests {
    @Test func lowerDirsAreTopMostFirst() throws {
        let work = try TestDirectory()
        let store = try LayerStore(root: "\(work.path)/store")
        let ids = (0..<3).map(chainID)
        for id in ids { try addLayer(store, id) }

        let snapshot = try store.overlaySnapshot(chainIDs: ids, upperDir: "/c/upper", workDir: "/c/work")
        let expected = ids.reversed().map(store.diffPath)
        #expect(snapshot.lowerDirs == expected)
        #expect(snapshot.workingDirectory == nil)
        #expect(snapshot.mounts == [Mount(type: "overlay", source: "overlay", options: [
            "lowerdir=" + expected.joined(separator: ":"), "upperdir=/c/upper", "workdir=/c/work",
        ])])
    }

    @Test func manyLayersUseShortRelativeLinks() throws {
        let work = try TestDirectory()
        let store = try LayerStore(root: "\(work.path)/store")
        let ids = (0..<120).map(chainID)
        for id in ids { try addLayer(store, id) }

        let snapshot = try store.overlaySnapshot(chainIDs: ids, upperDir: "/c/upper", workDir: "/c/work")
        #expect(snapshot.workingDirectory == store.root)
        #expect(snapshot.lowerDirs == ids.reversed().map(store.diffPath), "the value still names the real directories")
        let mount = try #require(snapshot.mounts.first)
        #expect(mount.optionString.utf8.count < 4096)
        let lower = try #require(mount.options.first?.split(separator: "=", maxSplits: 1).last)
        let links = lower.split(separator: ":").map(String.init)
        #expect(links.count == 120)
        for (link, id) in zip(links, ids.reversed()) {
            #expect(link.hasPrefix("l/") && link.utf8.count == 12)
            let resolved = URL(fileURLWithPath: "\(store.root)/\(link)").resolvingSymlinksInPath().path
            #expect(resolved == store.diffPath(id))
        }
        #expect(Array(mount.options.dropFirst()) == ["upperdir=/c/upper", "workdir=/c/work"])
    }

    @Test func tooManyLayersAreRefused() throws {
        let work = try TestDirectory()
        let store = try LayerStore(root: "\(work.path)/store")
        let error = #expect(throws: BerthError.self) {
            try store.overlaySnapshot(chainIDs: (0..<501).map(chainID), upperDir: "/u", workDir: "/w")
        }
        #expect(error?.code == .invalidArgument)
        #expect(error?.message.contains("501 layers") == true)
    }

    @Test func optionsThatCannotFitAreRefused() throws {
        let work = try TestDirectory()
        let store = try LayerStore(root: "\(work.path)/store")
        let ids = (0..<400).map(chainID)
        for id in ids { try addLayer(store, id) }
        let error = #expect(throws: BerthError.self) {
            try store.overlaySnapshot(chainIDs: ids, upperDir: "/u", workDir: "/w")
        }
        #expect(error?.code == .resourceExhausted)
    }

    @Test func missingLayerIsNamed() throws {
        let work = try TestDirectory()
        let store = try LayerStore(root: "\(work.path)/store")
        try addLayer(store, chainID(0))
        let error = #expect(throws: BerthError.self) {
            try store.overlaySnapshot(chainIDs: [chainID(0), chainID(1)], upperDir: "/u", workDir: "/w")
        }
        #expect(error == BerthError(.notFound, "overlay snapshot: layer \(chainID(1)) is not unpacked"))
    }

    @Test func readOnlyViews() throws {
        let work = try TestDirectory()
        let store = try LayerStore(root: "\(work.path)/store")
        for index in 0..<2 { try addLayer(store, chainID(index)) }

        let single = try store.readOnlySnapshot(chainIDs: [chainID(0)])
        #expect(single.mounts == [Mount(type: "bind", source: store.diffPath(chainID(0)), options: ["rbind", "ro"])])
        #expect(single.upperDir == nil && single.workDir == nil)

        let double = try store.readOnlySnapshot(chainIDs: [chainID(0), chainID(1)])
        #expect(double.mounts == [Mount(type: "overlay", source: "overlay", options: [
            "lowerdir=\(store.diffPath(chainID(1))):\(store.diffPath(chainID(0)))", "ro",
        ])])
    }

    @Test(arguments: ["relative/upper", "/with,comma", "/with:colon"])
    func badUpperDirectoriesAreRefused(_ upper: String) throws {
        let work = try TestDirectory()
        let store = try LayerStore(root: "\(work.path)/store")
        try addLayer(store, chainID(0))
        #expect(throws: BerthError.self) { try store.overlaySnapshot(chainIDs: [chainID(0)], upperDir: upper, workDir: "/w") }
    }
}
