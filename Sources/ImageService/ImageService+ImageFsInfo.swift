import BerthBase
import CRI
import Foundation

extension ImageService {
    /// CRI `ImageFsInfo`: space and inodes used by the unpacked layers, each layer measured
    /// once (see `LayerStore.usage()`).
    public func imageFsInfo(_ request: Runtime_V1_ImageFsInfoRequest) async throws -> Runtime_V1_ImageFsInfoResponse {
        let directory = layersDirectory
        let layers = self.layers
        let usage = try await runBlocking(name: "berth-fsinfo") { _ in layers.usage() }
        var filesystem = Runtime_V1_FilesystemUsage()
        filesystem.timestamp = Int64(Date().timeIntervalSince1970 * 1_000_000_000)
        var identifier = Runtime_V1_FilesystemIdentifier()
        identifier.mountpoint = directory
        filesystem.fsID = identifier
        var used = Runtime_V1_UInt64Value()
        used.value = usage.bytes
        filesystem.usedBytes = used
        var inodes = Runtime_V1_UInt64Value()
        inodes.value = usage.inodes
        filesystem.inodesUsed = inodes
        var response = Runtime_V1_ImageFsInfoResponse()
        response.imageFilesystems = [filesystem]
        return response
    }
}
