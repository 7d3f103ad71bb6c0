import BerthBase
import Foundation

/// A manifest or index fetched from a registry or read from a layout, told apart and
/// checked before anything it points to is fetched.
public enum ManifestDocument: Sendable {
    case manifest(Manifest)
    case index(Index)

    /// Parses `bytes`, deciding what they are by the document's own `mediaType`, else by
    /// `mediaType` (a descriptor's, or the HTTP `Content-Type`), else by shape. Refuses Docker
    /// schema 1, unknown media types, manifests that are not runnable images.
    public static func parse(_ bytes: [UInt8], mediaType: String?) throws(BerthError) -> ManifestDocument {
        let probe: Probe
        do {
            probe = try JSONDecoder().decode(Probe.self, from: Data(bytes))
        } catch {
            throw BerthError(.invalidArgument, "manifest: \(describe(error))")
        }

        let declared = probe.mediaType ?? mediaType.map(essence).flatMap { isGeneric($0) ? nil : $0 }
        if probe.schemaVersion == 1 || declared.map(isSchema1) == true {
            throw BerthError(.unimplemented, "manifest: Docker image manifest schema 1 is not supported; push the image again with a current client")
        }
        guard let version = probe.schemaVersion else {
            throw BerthError(.invalidArgument, "manifest: missing schemaVersion")
        }
        guard version == 2 else {
            throw BerthError(.invalidArgument, "manifest: unsupported schemaVersion \(version) (want 2)")
        }

        let isIndex: Bool
        switch declared {
        case .some(let type) where MediaType.isIndex(type): isIndex = true
        case .some(let type) where MediaType.isManifest(type): isIndex = false
        case .some(let type): throw BerthError(.invalidArgument, "manifest: unsupported media type \"\(type)\"")
        case .none:
            if probe.hasManifests == probe.hasConfig {
                throw BerthError(.invalidArgument, "manifest: no mediaType, and neither only \"manifests\" (an index) nor only \"config\" (a manifest)")
            }
            isIndex = probe.hasManifests
        }
        return isIndex ? .index(try decodeIndex(bytes)) : .manifest(try decodeManifest(bytes))
    }

    private static func decodeIndex(_ bytes: [UInt8]) throws(BerthError) -> Index {
        let index: Index
        do {
            index = try JSONDecoder().decode(Index.self, from: Data(bytes))
        } catch {
            throw BerthError(.invalidArgument, "index: \(describe(error))")
        }
        return index
    }

    private static func decodeManifest(_ bytes: [UInt8]) throws(BerthError) -> Manifest {
        let manifest: Manifest
        do {
            manifest = try JSONDecoder().decode(Manifest.self, from: Data(bytes))
        } catch {
            throw BerthError(.invalidArgument, "manifest: \(describe(error))")
        }
        let config = manifest.config
        guard config.mediaType == MediaType.ociConfig || config.mediaType == MediaType.dockerConfig else {
            throw BerthError(.invalidArgument, "manifest: config \(config.digest) has media type \"\(config.mediaType)\", which is not an image config (an artifact, not an image)")
        }
        for (position, layer) in manifest.layers.enumerated() where !MediaType.isLayer(layer.mediaType) {
            throw BerthError(.invalidArgument, "manifest: layer \(position) (\(layer.digest)) has media type \"\(layer.mediaType)\", which is not an image layer Berth can unpack")
        }
        return manifest
    }

    /// The media type without parameters: `application/json; charset=utf-8` → `application/json`.
    private static func essence(_ type: String) -> String {
        let bare = type.split(separator: ";", maxSplits: 1).first ?? ""
        return bare.trimmingCharacters(in: .whitespaces).lowercased()
    }

    /// Content types that say nothing about which document this is; some registries and
    /// file servers answer with them.
    private static func isGeneric(_ type: String) -> Bool {
        ["", "application/json", "application/octet-stream", "text/plain"].contains(type)
    }

    private static func isSchema1(_ type: String) -> Bool {
        type == "application/vnd.docker.distribution.manifest.v1+json"
            || type == "application/vnd.docker.distribution.manifest.v1+prettyjws"
    }

    /// Just enough of the document to tell what it is.
    private struct Probe: Decodable {
        var schemaVersion: Int?
        var mediaType: String?
        var hasManifests: Bool
        var hasConfig: Bool

        enum CodingKeys: String, CodingKey { case schemaVersion, mediaType, manifests, config }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            schemaVersion = try container.decodeIfPresent(Int.self, forKey: .schemaVersion)
            mediaType = try container.decodeIfPresent(String.self, forKey: .mediaType)
            hasManifests = container.contains(.manifests)
            hasConfig = container.contains(.config)
        }
    }
}

/// A decoding error as one line: where in the document, and what was wrong.
func describe(_ error: any Error) -> String {
    func location(_ path: [any CodingKey]) -> String {
        var text = ""
        for key in path {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += text.isEmpty ? key.stringValue : "." + key.stringValue
            }
        }
        return text.isEmpty ? "document" : text
    }
    switch error {
    case let error as BerthError:
        return error.message
    case DecodingError.keyNotFound(let key, let context):
        let parent = context.codingPath.isEmpty ? "" : " in \(location(context.codingPath))"
        return "missing \"\(key.stringValue)\"\(parent)"
    case DecodingError.typeMismatch(let type, let context):
        return "\(location(context.codingPath)): expected \(jsonName(type))"
    case DecodingError.valueNotFound(let type, let context):
        return "\(location(context.codingPath)): expected \(jsonName(type)), got null"
    case DecodingError.dataCorrupted(let context):
        if context.codingPath.isEmpty { return "not valid JSON" }
        return "\(location(context.codingPath)): \(context.debugDescription)"
    default:
        return "\(error)"
    }
}

/// What a Swift type is called in JSON terms, for error messages.
private func jsonName(_ type: Any.Type) -> String {
    switch type {
    case is any BinaryInteger.Type: "an integer"
    case is String.Type: "a string"
    case is Bool.Type: "a boolean"
    case is any BinaryFloatingPoint.Type: "a number"
    default:
        String(describing: type).hasPrefix("Array") ? "an array" : "an object"
    }
}
