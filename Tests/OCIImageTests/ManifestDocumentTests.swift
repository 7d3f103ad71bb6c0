import BerthBase
import OCIImage
import Testing

private let configDigest = "sha256:" + String(repeating: "c", count: 64)
private let layerDigest = "sha256:" + String(repeating: "1", count: 64)

/// A Docker schema 2 manifest as Docker Hub serves it.
private let dockerManifest = """
{
   "schemaVersion": 2,
   "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
   "config": {
      "mediaType": "application/vnd.docker.container.image.v1+json",
      "size": 1457,
      "digest": "\(configDigest)"
   },
   "layers": [
      {
         "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
         "size": 2152262,
         "digest": "\(layerDigest)"
      }
   ]
}
"""

/// An OCI manifest with annotations, as BuildKit pushes it, without a mediaType field.
private func ociManifest(layerType: String = MediaType.ociLayerGzip, configType: String = MediaType.ociConfig, mediaType: String? = nil) -> String {
    """
    {
      "schemaVersion": 2,
      \(mediaType.map { "\"mediaType\": \"\($0)\"," } ?? "")
      "config": {"mediaType": "\(configType)", "digest": "\(configDigest)", "size": 581},
      "layers": [
        {"mediaType": "\(MediaType.ociLayerZstd)", "digest": "\(layerDigest)", "size": 10},
        {"mediaType": "\(layerType)", "digest": "\(layerDigest)", "size": 11}
      ],
      "annotations": {"org.opencontainers.image.created": "2024-05-01T00:00:00Z"}
    }
    """
}

/// A Docker manifest list with two platforms.
private let dockerList = """
{
  "schemaVersion": 2,
  "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
  "manifests": [
    {"mediaType": "application/vnd.docker.distribution.manifest.v2+json", "size": 528, "digest": "\(layerDigest)",
     "platform": {"architecture": "amd64", "os": "linux"}},
    {"mediaType": "application/vnd.docker.distribution.manifest.v2+json", "size": 528, "digest": "\(configDigest)",
     "platform": {"architecture": "arm", "os": "linux", "variant": "v7", "os.features": ["x"]}}
  ]
}
"""

private func parse(_ text: String, _ mediaType: String? = nil) throws(BerthError) -> ManifestDocument {
    try ManifestDocument.parse(Array(text.utf8), mediaType: mediaType)
}

private func expectRefusal(_ text: String, contentType mediaType: String? = nil, code: ErrorCode = .invalidArgument, _ message: String, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(sourceLocation: sourceLocation) {
        try parse(text, mediaType)
    } throws: { error in
        guard let error = error as? BerthError else { return false }
        return error.code == code && error.message.contains(message)
    }
}

@Suite struct ManifestDocumentTests {
    @Test func dockerSchema2Manifest() throws {
        guard case .manifest(let manifest) = try parse(dockerManifest) else {
            Issue.record("expected a manifest")
            return
        }
        #expect(manifest.config.mediaType == MediaType.dockerConfig)
        #expect(manifest.config.digest.description == configDigest)
        #expect(manifest.config.size == 1457)
        #expect(manifest.layers.map(\.size) == [2152262])
    }

    @Test(arguments: [nil, MediaType.ociManifest, "application/json", "application/octet-stream", "application/vnd.oci.image.manifest.v1+json; charset=utf-8"])
    func ociManifestWithoutMediaTypeField(contentType: String?) throws {
        guard case .manifest(let manifest) = try parse(ociManifest(), contentType) else {
            Issue.record("expected a manifest")
            return
        }
        #expect(manifest.layers.count == 2)
        #expect(manifest.annotations?["org.opencontainers.image.created"] == "2024-05-01T00:00:00Z")
    }

    @Test func dockerManifestList() throws {
        guard case .index(let index) = try parse(dockerList) else {
            Issue.record("expected an index")
            return
        }
        #expect(index.manifests.count == 2)
        #expect(index.manifests[1].platform == Platform(os: "linux", architecture: "arm", variant: "v7").with(features: ["x"]))
    }

    @Test func indexByShapeAndByContentType() throws {
        let bare = #"{"schemaVersion": 2, "manifests": []}"#
        guard case .index = try parse(bare) else { Issue.record("expected an index by shape"); return }
        guard case .index = try parse(bare, MediaType.ociIndex) else { Issue.record("expected an index by content type"); return }
    }

    @Test func documentMediaTypeWinsOverContentType() throws {
        guard case .index = try parse(dockerList, MediaType.dockerManifest) else {
            Issue.record("expected an index")
            return
        }
    }

    @Test func refusesSchema1() {
        let schema1 = #"{"schemaVersion": 1, "name": "library/busybox", "tag": "latest", "fsLayers": [], "signatures": []}"#
        expectRefusal(schema1, code: .unimplemented, "manifest: Docker image manifest schema 1 is not supported")
        expectRefusal(#"{"schemaVersion": 2}"#, contentType: "application/vnd.docker.distribution.manifest.v1+prettyjws", code: .unimplemented, "schema 1 is not supported")
    }

    @Test func refusesOtherSchemaVersions() {
        expectRefusal(#"{"schemaVersion": 3, "manifests": []}"#, "manifest: unsupported schemaVersion 3 (want 2)")
        expectRefusal(#"{"manifests": []}"#, "manifest: missing schemaVersion")
    }

    @Test func refusesUnknownMediaTypes() {
        expectRefusal(ociManifest(mediaType: "application/vnd.example.thing+json"), "manifest: unsupported media type \"application/vnd.example.thing+json\"")
        expectRefusal(ociManifest(), contentType: "application/vnd.example.other", "unsupported media type \"application/vnd.example.other\"")
    }

    @Test func refusesLayersThatCannotBeUnpacked() {
        expectRefusal(ociManifest(layerType: "application/vnd.in-toto+json"),
                      "manifest: layer 1 (\(layerDigest)) has media type \"application/vnd.in-toto+json\", which is not an image layer")
    }

    @Test func refusesArtifacts() {
        expectRefusal(ociManifest(configType: "application/vnd.cncf.helm.config.v1+json"),
                      "config \(configDigest) has media type \"application/vnd.cncf.helm.config.v1+json\", which is not an image config")
    }

    @Test func refusesAManifestWithoutConfig() {
        expectRefusal(#"{"schemaVersion": 2, "mediaType": "\#(MediaType.ociManifest)", "layers": []}"#, "manifest: missing \"config\"")
    }

    @Test func refusesADescriptorWithoutDigest() {
        let text = dockerManifest.replacingOccurrences(of: "\"digest\": \"\(configDigest)\"", with: "\"urls\": []")
        expectRefusal(text, "manifest: missing \"digest\" in config")
    }

    @Test func refusesAnIndexWithoutManifests() {
        expectRefusal(#"{"schemaVersion": 2, "mediaType": "\#(MediaType.ociIndex)"}"#, "index: missing \"manifests\"")
    }

    @Test func refusesAmbiguousShapes() {
        expectRefusal(#"{"schemaVersion": 2}"#, "neither only \"manifests\" (an index) nor only \"config\" (a manifest)")
        expectRefusal(#"{"schemaVersion": 2, "manifests": [], "config": {}}"#, "neither only")
    }

    @Test func refusesBadJSON() {
        expectRefusal("not json", "manifest: not valid JSON")
        expectRefusal("[1, 2]", "manifest: document: expected an object")
        expectRefusal(#"{"schemaVersion": "2"}"#, "manifest: schemaVersion: expected an integer")
    }

    @Test func refusesBadDigestsAndSizes() {
        let badDigest = dockerManifest.replacingOccurrences(of: layerDigest, with: "sha256:xyz")
        expectRefusal(badDigest, "invalid digest \"sha256:xyz\"")
        let badSize = dockerManifest.replacingOccurrences(of: "2152262", with: "\"big\"")
        expectRefusal(badSize, "manifest: layers[0].size: expected an integer")
    }
}

extension Platform {
    fileprivate func with(features: [String]) -> Platform {
        var copy = self
        copy.osFeatures = features
        return copy
    }
}
