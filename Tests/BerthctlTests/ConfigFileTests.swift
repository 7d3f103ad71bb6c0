import BerthBase
import CRI
import Foundation
import Testing

@testable import berthctl

@Suite struct ConfigFileTests {
    @Test func podConfigInCrictlsJSONWithSnakeCaseKeys() throws {
        let json = #"""
            {"metadata": {"name": "busybox-sandbox", "namespace": "default", "attempt": 1, "uid": "hdishd83djaidwnduwk28bcsb"},
             "log_directory": "/tmp", "labels": {"app": "web"}, "linux": {}}
            """#
        let config = try ConfigFile.parse(Array(json.utf8), as: Runtime_V1_PodSandboxConfig.self, source: "pod config p.json")
        #expect(config.metadata.name == "busybox-sandbox")
        #expect(config.metadata.namespace == "default")
        #expect(config.metadata.uid == "hdishd83djaidwnduwk28bcsb")
        #expect(config.metadata.attempt == 1)
        #expect(config.logDirectory == "/tmp")
        #expect(config.labels == ["app": "web"])
        #expect(config.hasLinux)
    }

    @Test func containerConfigWithLowerCamelCaseKeys() throws {
        let json = #"""
            {"metadata": {"name": "busybox"}, "image": {"image": "busybox"}, "command": ["top"],
             "logPath": "busybox.0.log", "linux": {"resources": {"memoryLimitInBytes": "1048576", "cpu_shares": 512}}}
            """#
        let config = try ConfigFile.parse(Array(json.utf8), as: Runtime_V1_ContainerConfig.self, source: "c")
        #expect(config.image.image == "busybox")
        #expect(config.command == ["top"])
        #expect(config.logPath == "busybox.0.log")
        #expect(config.linux.resources.memoryLimitInBytes == 1_048_576)
        #expect(config.linux.resources.cpuShares == 512)
    }

    @Test func containerConfigInYAML() throws {
        let yaml = """
            metadata:
              name: busybox
              attempt: 2
            image:
              image: busybox:latest
            command: [sh, -c, "echo hi; sleep 1000"]
            envs:
              - key: GREETING
                value: "yes"
            log_path: busybox.0.log
            stdin: false
            tty: true
            linux:
              security_context:
                privileged: false
            """
        let config = try ConfigFile.parse(Array(yaml.utf8), as: Runtime_V1_ContainerConfig.self, source: "c")
        #expect(config.metadata.name == "busybox")
        #expect(config.metadata.attempt == 2)
        #expect(config.image.image == "busybox:latest")
        #expect(config.command == ["sh", "-c", "echo hi; sleep 1000"])
        let env = try #require(config.envs.first)
        #expect(env.key == "GREETING")
        #expect(env.value == "yes")
        #expect(config.logPath == "busybox.0.log")
        #expect(config.tty)
        #expect(config.linux.hasSecurityContext)
    }

    @Test func loadsAFileAndNamesItInErrors() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("berthctl-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let good = directory.appendingPathComponent("pod.yaml").path
        try Data("metadata:\n  name: web\n  namespace: default\nlog_directory: /tmp\n".utf8).write(to: URL(fileURLWithPath: good))
        let config = try ConfigFile.load(good, as: Runtime_V1_PodSandboxConfig.self, kind: "pod config")
        #expect(config.metadata.name == "web")

        let bad = directory.appendingPathComponent("bad.json").path
        try Data(#"{"metadata": {"name": "web"}, "log_dir": "/tmp"}"#.utf8).write(to: URL(fileURLWithPath: bad))
        let unknown = #expect(throws: BerthError.self) {
            try ConfigFile.load(bad, as: Runtime_V1_PodSandboxConfig.self, kind: "pod config")
        }
        #expect(unknown?.code == .invalidArgument)
        #expect(unknown?.message.contains("pod config \(bad)") == true)
        #expect(unknown?.message.contains("log_dir") == true)

        let missing = #expect(throws: BerthError.self) {
            try ConfigFile.load(directory.appendingPathComponent("none.json").path, as: Runtime_V1_PodSandboxConfig.self, kind: "pod config")
        }
        #expect(missing?.message.contains("no such file") == true)
    }

    @Test(arguments: [(String, String)]([
        (#"{"metadata": {"name": "web"},"#, "invalid JSON"),
        ("metadata: [unclosed", "invalid YAML"),
        ("- a\n- b\n", "expected a mapping"),
        ("   \n", "empty"),
        (#"{"metadata": {"name": 5}}"#, "field \"metadata\": expected text"),
        (#"{"metadata": "web"}"#, "field \"metadata\": a value of the wrong type"),
        ("labels:\n  a: 1\n", "field \"labels\": expected text"),
    ]))
    func badDocumentsSayWhatIsWrong(text: String, expected: String) {
        let error = #expect(throws: BerthError.self) {
            try ConfigFile.parse(Array(text.utf8), as: Runtime_V1_PodSandboxConfig.self, source: "pod config x")
        }
        #expect(error?.message.hasPrefix("pod config x: ") == true)
        #expect(error?.message.contains(expected) == true, "\(error?.message ?? "")")
    }
}
