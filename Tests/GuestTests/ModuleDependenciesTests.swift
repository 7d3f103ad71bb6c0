import BerthBase
import Testing
@testable import Guest

private let sample = """
    kernel/drivers/virtio/virtio_ring.ko:
    kernel/drivers/char/virtio_console.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
    kernel/fs/overlayfs/overlay.ko:
    kernel/drivers/block/virtio_blk.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
    kernel/drivers/virtio/virtio.ko: kernel/drivers/virtio/virtio_ring.ko
    kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio_pci_modern_dev.ko kernel/drivers/virtio/virtio_pci_legacy_dev.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
    kernel/drivers/virtio/virtio_pci_modern_dev.ko:
    kernel/drivers/virtio/virtio_pci_legacy_dev.ko:
    kernel/fs/erofs/erofs.ko: kernel/lib/libcrc32c.ko
    kernel/lib/libcrc32c.ko:
    kernel/net/dummy-thing.ko:

    """

@Test func loadOrderPutsEveryDependencyFirstAndEachOnce() throws {
    let dependencies = ModuleDependencies(parsing: sample)
    let order = try dependencies.loadOrder(for: ["virtio_pci", "virtio_blk", "virtio_console", "erofs", "overlay"])
    #expect(Set(order).count == order.count)
    #expect(order.count == 10)
    for (file, needs) in dependencies.dependencies where order.contains(file) {
        for need in needs {
            #expect(order.firstIndex(of: need)! < order.firstIndex(of: file)!, "\(need) before \(file)")
        }
    }
    #expect(order.last == "kernel/fs/overlayfs/overlay.ko")
}

@Test func builtinModulesAreSkippedAndUnknownOnesRefused() throws {
    let dependencies = ModuleDependencies(parsing: sample)
    let builtin = ModuleDependencies.builtinNames(parsing: "kernel/fs/ext4/ext4.ko\nkernel/fs/overlayfs/overlay.ko\n")
    #expect(try dependencies.loadOrder(for: ["ext4", "overlay"], builtin: builtin) == [])
    #expect(throws: BerthError.self) { try dependencies.loadOrder(for: ["nine_p"]) }
}

@Test func dashesAndUnderscoresNameTheSameModule() throws {
    let dependencies = ModuleDependencies(parsing: sample)
    #expect(try dependencies.loadOrder(for: ["dummy_thing"]) == ["kernel/net/dummy-thing.ko"])
    #expect(try dependencies.loadOrder(for: ["virtio-blk"]).last == "kernel/drivers/block/virtio_blk.ko")
}

@Test func dependencyCycleIsAnError() {
    let dependencies = ModuleDependencies(parsing: "a.ko: b.ko\nb.ko: a.ko\n")
    #expect(throws: BerthError.self) { try dependencies.loadOrder(for: ["a"]) }
}
