import BerthBase
import BerthConfig
import Network
import Testing

@Suite struct NetworkConfigKeyTests {
    @Test func defaults() {
        let network = Config().network
        #expect(network.confDir == "/etc/cni/net.d")
        #expect(network.binDirs == ["/usr/lib/cni", "/opt/cni/bin"])
        #expect(network.timeout == .seconds(60))
    }

    @Test func keysAreRead() throws {
        let config = try Config.parse(toml: """
            [network]
            conf_dir = "/srv/cni/conf"
            bin_dirs = ["/srv/cni/bin", "/usr/lib/cni"]
            plugin_timeout = 15
            """, source: "test.toml")
        #expect(config.network == CNI(confDir: "/srv/cni/conf", binDirs: ["/srv/cni/bin", "/usr/lib/cni"], timeout: .seconds(15)))
    }

    @Test func badValuesNameTheKey() {
        expectRefusal("[network]\nconf_dir = \"net.d\"", "network.conf_dir: must be an absolute path, got \"net.d\"")
        expectRefusal("[network]\nbin_dirs = []", "network.bin_dirs: must name at least one directory")
        expectRefusal("[network]\nbin_dirs = [\"/a\", \"b\"]", "network.bin_dirs[1]: must be an absolute path, got \"b\"")
        expectRefusal("[network]\nbin_dirs = [\"/a:/b\"]", "network.bin_dirs[0]: \"/a:/b\" must not contain ':' (CNI_PATH separates with it)")
        expectRefusal("[network]\nbin_dirs = \"/a\"", "network.bin_dirs: expected an array of strings, got string")
        expectRefusal("[network]\nplugin_timeout = 0", "network.plugin_timeout: 0 seconds out of range (1 to 3600)")
        expectRefusal("[network]\nplugin_timeout = \"10s\"", "network.plugin_timeout: expected an integer, got string")
        expectRefusal("[network]\nconfdir = \"/x\"", "unknown key network.confdir")
    }
}
