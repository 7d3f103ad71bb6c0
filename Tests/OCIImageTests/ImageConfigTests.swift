import BerthBase
import Foundation
import OCIImage
import Testing

private let diff1 = "sha256:" + String(repeating: "a", count: 64)
private let diff2 = "sha256:" + String(repeating: "b", count: 64)

/// Shaped like the config `docker build` writes, with the legacy fields Berth ignores.
private let dockerConfig = """
{
  "architecture": "amd64",
  "config": {
    "Hostname": "",
    "User": "www-data:www-data",
    "AttachStdin": false,
    "ExposedPorts": {"80/tcp": {}, "443/tcp": {}},
    "Tty": false,
    "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "NGINX_VERSION=1.25.4"],
    "Cmd": ["nginx", "-g", "daemon off;"],
    "Image": "sha256:0000",
    "Volumes": {"/var/cache/nginx": {}},
    "WorkingDir": "/srv",
    "Entrypoint": ["/docker-entrypoint.sh"],
    "OnBuild": null,
    "Labels": {"maintainer": "NGINX Docker Maintainers"},
    "StopSignal": "SIGQUIT"
  },
  "container": "0d5b7c1e",
  "container_config": {"Cmd": ["/bin/sh", "-c", "#(nop) CMD [\\"nginx\\"]"]},
  "created": "2024-02-14T18:47:48.195526347Z",
  "docker_version": "20.10.23",
  "history": [
    {"created": "2024-02-13T00:38:36Z", "created_by": "/bin/sh -c #(nop) ADD file:abc in / "},
    {"created": "2024-02-13T00:38:37Z", "created_by": "/bin/sh -c #(nop)  CMD [\\"bash\\"]", "empty_layer": true},
    {"created": "2024-02-14T18:47:48Z", "created_by": "/bin/sh -c apt-get update", "comment": "buildkit.dockerfile.v0"}
  ],
  "os": "linux",
  "rootfs": {"type": "layers", "diff_ids": ["\(diff1)", "\(diff2)"]}
}
"""

/// A minimal OCI config, as `umoci` or BuildKit write it, with an arm variant.
private let ociConfig = """
{
  "created": "2024-05-01T00:00:00Z",
  "architecture": "arm",
  "variant": "v7",
  "os": "linux",
  "config": {"Env": ["PATH=/bin"], "Cmd": ["sh"], "User": "1000"},
  "rootfs": {"type": "layers", "diff_ids": ["\(diff1)"]}
}
"""

private func decode(_ text: String) throws -> ImageConfig {
    try JSONDecoder().decode(ImageConfig.self, from: Data(text.utf8))
}

@Suite struct ImageConfigTests {
    @Test func decodesADockerConfig() throws {
        let config = try decode(dockerConfig)
        #expect(config.architecture == "amd64")
        #expect(config.os == "linux")
        #expect(config.created == "2024-02-14T18:47:48.195526347Z")
        let execution = try #require(config.config)
        #expect(execution.user == "www-data:www-data")
        #expect(execution.env?.count == 2)
        #expect(execution.entrypoint == ["/docker-entrypoint.sh"])
        #expect(execution.cmd == ["nginx", "-g", "daemon off;"])
        #expect(execution.workingDir == "/srv")
        #expect(execution.labels == ["maintainer": "NGINX Docker Maintainers"])
        #expect(execution.stopSignal == "SIGQUIT")
        #expect(execution.exposedPorts.map { Set($0.keys) } == ["80/tcp", "443/tcp"])
        #expect(execution.volumes?.keys.sorted() == ["/var/cache/nginx"])
        #expect(config.rootfs.diffIDs.map(\.description) == [diff1, diff2])
        #expect(config.history?.map { $0.emptyLayer ?? false } == [false, true, false])
        #expect(config.history?[2].comment == "buildkit.dockerfile.v0")
        #expect(ImageUser(configUser: execution.user) == ImageUser(uid: nil, username: "www-data", group: "www-data"))
    }

    @Test func decodesAnOCIConfig() throws {
        let config = try decode(ociConfig)
        #expect(config.variant == "v7")
        #expect(config.config?.user == "1000")
        #expect(config.config?.entrypoint == nil)
        #expect(config.history == nil)
        #expect(chainIDs(for: config.rootfs.diffIDs).map(\.description) == [diff1])
    }

    @Test func decodesAConfigWithoutExecutionSettings() throws {
        let config = try decode(#"{"architecture": "amd64", "os": "linux", "config": null, "rootfs": {"type": "layers", "diff_ids": []}}"#)
        #expect(config.config == nil)
        #expect(config.rootfs.diffIDs.isEmpty)
    }

    @Test func roundTrips() throws {
        let config = try decode(dockerConfig)
        let again = try JSONDecoder().decode(ImageConfig.self, from: JSONEncoder().encode(config))
        #expect(again == config)
    }

    @Test func refusesABadDiffID() {
        #expect(throws: BerthError.self) {
            try decode(ociConfig.replacingOccurrences(of: diff1, with: "sha512:00"))
        }
    }
}
