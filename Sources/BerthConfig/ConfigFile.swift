import Foundation
import Logging
import Network
import OCIImage
import Registry
import TOMLKit

/// The TOML schema of the configuration file, read into a `Config`.
enum ConfigFile {
    static func read(_ text: String) throws(ConfigIssue) -> Config {
        let root: TOMLTable
        do {
            root = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            let at = error.source.begin
            throw ConfigIssue("line \(at.line), column \(at.column): \(error.description)")
        } catch {
            throw ConfigIssue("\(error)")
        }

        var config = Config()
        var top = TableReader(root)
        if let root = try top.string("root") {
            config.rootDirectory = try Validate.directory(root, key: top.keyPath("root"))
        }
        if let state = try top.string("state") {
            config.stateDirectory = try Validate.directory(state, key: top.keyPath("state"))
        }
        if let level = try top.string("log_level") {
            config.logLevel = try Validate.logLevel(level, key: top.keyPath("log_level"))
        }
        if var api = try top.table("api") {
            try readAPI(&api, into: &config)
        }
        if var registry = try top.table("registry") {
            try readRegistry(&registry, into: &config.registry)
        }
        if var streaming = try top.table("streaming") {
            if let seconds = try streaming.int("token_timeout") {
                guard (1...3600).contains(seconds) else {
                    throw ConfigIssue("\(streaming.keyPath("token_timeout")): \(seconds) out of range (1 to 3600)")
                }
                config.streamTokenTimeout = seconds
            }
            try streaming.finish()
        }
        if var runtime = try top.table("runtime") {
            if let shim = try runtime.string("shim") {
                config.shimPath = try Validate.directory(shim, key: runtime.keyPath("shim"))
            }
            if let root = try runtime.string("cgroup_root") {
                config.cgroupRoot = try Validate.cgroupRoot(root, key: runtime.keyPath("cgroup_root"))
            }
            try runtime.finish()
        }
        if var network = try top.table("network") {
            try readNetwork(&network, into: &config.network)
        }
        try top.finish()
        return config
    }

    private static func readAPI(_ api: inout TableReader, into config: inout Config) throws(ConfigIssue) {
        if let socket = try api.string("socket") {
            config.socketPath = try Validate.socketPath(socket, key: api.keyPath("socket"))
        }
        if let value = api.value("socket_mode") {
            guard let mode = value.string else {
                throw ConfigIssue("expected an octal string like \"0660\", got \(typeName(value))").about(api.keyPath("socket_mode"))
            }
            config.socketMode = try Validate.socketMode(mode, key: api.keyPath("socket_mode"))
        }
        if let group = try api.string("socket_group") {
            config.socketGroup = try Validate.group(group, key: api.keyPath("socket_group"))
        }
        if let bytes = try api.int("max_request_bytes") {
            config.maxRequestBytes = try Validate.maxRequestBytes(bytes, key: api.keyPath("max_request_bytes"))
        }
        try api.finish()
    }

    private static func readNetwork(_ network: inout TableReader, into cni: inout CNI) throws(ConfigIssue) {
        if let directory = try network.string("conf_dir") {
            cni.confDir = try Validate.directory(directory, key: network.keyPath("conf_dir"))
        }
        if let directories = try network.stringArray("bin_dirs") {
            guard !directories.isEmpty else { throw ConfigIssue("\(network.keyPath("bin_dirs")): must name at least one directory") }
            var checked: [String] = []
            for (position, directory) in directories.enumerated() {
                let key = "\(network.keyPath("bin_dirs"))[\(position)]"
                let path = try Validate.directory(directory, key: key)
                guard !path.contains(":") else { throw ConfigIssue("\(key): \"\(path)\" must not contain ':' (CNI_PATH separates with it)") }
                checked.append(path)
            }
            cni.binDirs = checked
        }
        if let seconds = try network.int("plugin_timeout") {
            cni.timeout = .seconds(try Validate.pluginTimeout(seconds, key: network.keyPath("plugin_timeout")))
        }
        try network.finish()
    }

    private static func readRegistry(_ registry: inout TableReader, into configuration: inout RegistryConfiguration) throws(ConfigIssue) {
        if let platform = try registry.string("platform") {
            configuration.platform = try Validate.platform(platform, key: registry.keyPath("platform"))
        }
        if let count = try registry.int("max_concurrent_downloads") {
            configuration.maxConcurrentDownloads = try Validate.concurrency(count, key: registry.keyPath("max_concurrent_downloads"))
        }
        if let hosts = try registry.table("hosts") {
            var hosts = hosts
            for name in hosts.keys.sorted() {
                guard var entry = try hosts.table(name) else { continue }
                let host = try Validate.hostName(name, key: entry.path)
                guard configuration.hosts[host] == nil else {
                    throw ConfigIssue("\(entry.path): \(host) is configured twice")
                }
                configuration.hosts[host] = try readHost(&entry)
            }
            try hosts.finish()
        }
        try registry.finish()
    }

    private static func readHost(_ entry: inout TableReader) throws(ConfigIssue) -> RegistryHost {
        var host = RegistryHost()
        if let mirrors = try entry.stringArray("mirrors") {
            var urls: [URL] = []
            for (position, mirror) in mirrors.enumerated() {
                urls.append(try Validate.mirror(mirror, key: "\(entry.keyPath("mirrors"))[\(position)]"))
            }
            host.mirrors = urls
        }
        if let plainHTTP = try entry.bool("plain_http") { host.plainHTTP = plainHTTP }
        if let skipVerify = try entry.bool("skip_verify") { host.skipVerify = skipVerify }
        try entry.finish()
        return host
    }
}
