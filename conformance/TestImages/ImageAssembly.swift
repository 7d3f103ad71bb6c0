import BerthBase
import OCIImage

/// The media types an image is written with: OCI, or Docker image manifest v2 schema 2.
enum ImageFlavor: Sendable {
    case oci
    case docker

    var manifest: String { self == .oci ? MediaType.ociManifest : MediaType.dockerManifest }
    var config: String { self == .oci ? MediaType.ociConfig : MediaType.dockerConfig }
    var layer: String { self == .oci ? MediaType.ociLayerGzip : MediaType.dockerLayerGzip }
}

/// What a single-platform image is made of before its config and manifest are written.
struct ImageParts: Sendable {
    var layers: [Layer] = []
    /// One entry per layer, plus `empty_layer` entries for config-only steps.
    var history: [ImageConfig.History] = []
    var execution = ImageConfig.ExecutionConfig()
    var platform = Platform.linuxAMD64

    mutating func add(_ layer: Layer, createdBy: String) {
        layers.append(layer)
        history.append(ImageConfig.History(created: fixedCreated, createdBy: createdBy))
    }

    mutating func note(_ createdBy: String) {
        history.append(ImageConfig.History(created: fixedCreated, createdBy: createdBy, emptyLayer: true))
    }

    /// Sets the user as a Dockerfile `USER` line would.
    mutating func user(_ user: String) {
        execution.user = user
        note("USER \(user)")
    }

    mutating func label(_ key: String, _ value: String) {
        execution.labels = (execution.labels ?? [:]).merging([key: value]) { $1 }
        note("LABEL \(key)=\(value)")
    }
}

extension LayoutWriter {
    /// Writes the config and the manifest of an image and returns the manifest's descriptor,
    /// carrying the platform so it can go straight into an index.
    func writeImage(_ parts: ImageParts, flavor: ImageFlavor = .oci) throws(BerthError) -> Descriptor {
        var config = ImageConfig(
            architecture: parts.platform.architecture,
            os: parts.platform.os,
            config: parts.execution,
            rootfs: ImageConfig.RootFS(diffIDs: parts.layers.map(\.diffID)),
            history: parts.history,
            created: fixedCreated
        )
        config.variant = parts.platform.variant
        let configDescriptor = try putJSON(config, mediaType: flavor.config)
        let manifest = Manifest(mediaType: flavor.manifest, config: configDescriptor, layers: parts.layers.map(\.descriptor))
        var descriptor = try putJSON(manifest, mediaType: flavor.manifest)
        descriptor.platform = parts.platform
        return descriptor
    }
}
