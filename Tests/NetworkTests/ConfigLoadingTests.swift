import BerthBase
import Network
import Testing
import TestSupport

@Suite struct ConfigLoadingTests {
    let conflist = """
        {"cniVersion": "1.0.0", "name": "pods", "plugins": [
          {"type": "bridge", "bridge": "br0", "mtu": 1400, "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.99.0.0/24"}]]}},
          {"type": "portmap", "capabilities": {"portMappings": true}}
        ]}
        """

    func write(_ directory: TestDirectory, _ name: String, _ text: String) throws {
        try FileSystem.atomicWrite(Array(text.utf8), to: directory.file(name))
    }

    @Test func conflistIsReadWithItsPluginsInOrder() throws {
        let network = try NetworkConfig.parse(Array(conflist.utf8), source: "x.conflist")
        #expect(network.name == "pods")
        #expect(network.cniVersion == "1.0.0")
        #expect(network.pluginTypes == ["bridge", "portmap"])
        // Unknown keys and integers survive untouched.
        #expect(network.plugins[0]["mtu"] == .int(1400))
        #expect(network.plugins[0]["ipam"]?["type"]?.string == "host-local")
    }

    @Test func singlePluginConfIsWrappedAsAList() throws {
        let text = #"{"cniVersion": "0.4.0", "name": "one", "type": "bridge", "bridge": "br1"}"#
        let network = try NetworkConfig.parse(Array(text.utf8), source: "a.conf")
        #expect(network.name == "one")
        #expect(network.cniVersion == "0.4.0")
        #expect(network.plugins.count == 1)
        #expect(network.plugins[0]["bridge"]?.string == "br1")
        #expect(network.plugins[0]["name"] == nil)
    }

    @Test(arguments: [
        (#"{"cniVersion": "0.3.1", "name": "n", "plugins": [{"type": "bridge"}]}"#, "cniVersion \"0.3.1\" is not supported"),
        (#"{"cniVersion": "1.0.0", "plugins": [{"type": "bridge"}]}"#, "\"name\" is missing"),
        (#"{"cniVersion": "1.0.0", "name": "n", "plugins": []}"#, "\"plugins\" is not a non-empty list"),
        (#"{"cniVersion": "1.0.0", "name": "n", "plugins": [{"bridge": "x"}]}"#, "plugins[0] has no \"type\""),
        (#"{"cniVersion": "1.0.0", "name": "n", "plugins": [{"type": "../bin/sh"}]}"#, "is not a plugin name"),
        (#"{"cniVersion": "1.0.0", "name": "n""#, "not JSON"),
        (#"{"cniVersion": "1.0.0", "name": "n"}"#, "neither a \"plugins\" list nor a plugin"),
        ("[1]", "not a JSON object"),
    ])
    func invalidConfigsSayWhy(text: String, expected: String) {
        #expect {
            try NetworkConfig.parse(Array(text.utf8), source: "bad.conflist")
        } throws: { error in
            let message = (error as? BerthError)?.message ?? ""
            return message.contains(expected) && message.contains("bad.conflist")
        }
    }

    @Test func lexicallyFirstValidFileWins() throws {
        let directory = try TestDirectory()
        try write(directory, "05-broken.conflist", "{not json")
        try write(directory, "10-pods.conflist", conflist)
        try write(directory, "20-other.conf", #"{"cniVersion": "1.0.0", "name": "other", "type": "ptp"}"#)
        try write(directory, "00-ignored.txt", #"{"cniVersion": "1.0.0", "name": "txt", "type": "ptp"}"#)
        let outcome = NetworkConfigLoader.load(directory: directory.path)
        #expect(outcome.network?.name == "pods")
        #expect(outcome.network?.source == directory.file("10-pods.conflist"))
        #expect(outcome.skipped.count == 1)
    }

    @Test func jsonAndConfFilesCount() throws {
        let directory = try TestDirectory()
        try write(directory, "99-a.json", #"{"cniVersion": "1.0.0", "name": "json", "type": "ptp"}"#)
        #expect(NetworkConfigLoader.load(directory: directory.path).network?.name == "json")
    }

    @Test func emptyAndBrokenDirectoriesAreTold() throws {
        let directory = try TestDirectory()
        let empty = NetworkConfigLoader.load(directory: directory.path)
        #expect(empty.network == nil)
        #expect(empty.problem(directory: directory.path) == "no CNI network config in \(directory.path)")
        #expect(try CNI(confDir: directory.path).forPod() == nil)

        try write(directory, "10-bad.conflist", #"{"cniVersion": "9.9.9", "name": "n", "plugins": [{"type": "bridge"}]}"#)
        #expect(throws: BerthError.self) { try CNI(confDir: directory.path).forPod() }
        do {
            _ = try CNI(confDir: directory.path).ready()
            Issue.record("a broken config must not be ready")
        } catch {
            #expect(error.code == .failedPrecondition)
            #expect(error.message.contains("10-bad.conflist"))
            #expect(error.message.contains("9.9.9"))
        }
    }

    /// The conflist `make run` installs is one Berth reads.
    @Test func defaultConflistIsValid() throws {
        let repository = String(#filePath.prefix { _ in true }.split(separator: "/").dropLast(3).joined(separator: "/"))
        let path = "/\(repository)/scripts/10-berth.conflist"
        let network = try NetworkConfig.parse(try #require(try FileSystem.read(path)), source: path)
        #expect(network.name == "berth")
        #expect(network.pluginTypes == ["bridge", "portmap", "loopback"])
        #expect(network.plugins[0]["bridge"]?.string == "berth0")
        #expect(network.plugins[1]["capabilities"]?["portMappings"]?.bool == true)
    }

    @Test func missingPluginIsNamed() throws {
        let config = try TestDirectory()
        let bin = try TestDirectory()
        try write(config, "10-pods.conflist", conflist)
        try FileSystem.atomicWrite(Array("#!/bin/sh\n".utf8), to: bin.file("bridge"), mode: 0o755)
        do {
            _ = try CNI(confDir: config.path, binDirs: ["/nonexistent", bin.path]).ready()
            Issue.record("portmap is missing")
        } catch {
            #expect(error.message.contains("plugin \"portmap\" not found in /nonexistent:\(bin.path)"))
        }
        try FileSystem.atomicWrite(Array("#!/bin/sh\n".utf8), to: bin.file("portmap"), mode: 0o755)
        let ready = try CNI(confDir: config.path, binDirs: ["/nonexistent", bin.path]).ready()
        #expect(ready.plugins == [bin.file("bridge"), bin.file("portmap")])
    }
}
