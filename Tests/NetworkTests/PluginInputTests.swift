import BerthBase
import Network
import Testing

@Suite struct PluginInputTests {
    let network = try! NetworkConfig.parse(Array("""
        {"cniVersion": "1.0.0", "name": "pods", "plugins": [
          {"type": "bridge", "bridge": "br0"},
          {"type": "portmap", "capabilities": {"portMappings": true}, "snat": true},
          {"type": "firewall", "capabilities": {"portMappings": false}}
        ]}
        """.utf8), source: "t")
    let mappings = [
        PortMapping(hostPort: 8080, containerPort: 80), PortMapping(hostPort: 5353, containerPort: 53, protocol: "udp", hostIP: "127.0.0.1"),
    ]

    @Test func nameVersionAndPrevResultAreInjected() {
        let previous = JSONValue.object(["cniVersion": .string("1.0.0"), "ips": .array([])])
        let input = PluginInput.make(plugin: network.plugins[0], network: network, prevResult: previous, portMappings: mappings)
        #expect(input["name"]?.string == "pods")
        #expect(input["cniVersion"]?.string == "1.0.0")
        #expect(input["prevResult"] == previous)
        #expect(input["bridge"]?.string == "br0")
        // bridge declares no capability: no runtimeConfig.
        #expect(input["runtimeConfig"] == nil)
        #expect(PluginInput.make(plugin: network.plugins[0], network: network, prevResult: nil, portMappings: [])["prevResult"] == nil)
    }

    @Test func portMappingsGoOnlyToPluginsWithTheCapability() {
        let portmap = PluginInput.make(plugin: network.plugins[1], network: network, prevResult: nil, portMappings: mappings)
        #expect(portmap["runtimeConfig"]?["portMappings"] == .array([
            .object(["hostPort": .int(8080), "containerPort": .int(80), "protocol": .string("tcp")]),
            .object(["hostPort": .int(5353), "containerPort": .int(53), "protocol": .string("udp"), "hostIP": .string("127.0.0.1")]),
        ]))
        #expect(portmap["snat"]?.bool == true)
        let firewall = PluginInput.make(plugin: network.plugins[2], network: network, prevResult: nil, portMappings: mappings)
        #expect(firewall["runtimeConfig"] == nil)
        // No mappings: no runtimeConfig at all, as libcni does.
        #expect(PluginInput.make(plugin: network.plugins[1], network: network, prevResult: nil, portMappings: [])["runtimeConfig"] == nil)
    }
}
