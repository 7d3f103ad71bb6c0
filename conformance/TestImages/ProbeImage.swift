import BerthBase
import Foundation

/// The `probe` image: busybox plus `conformance/probe/probe.c` compiled static, as `/probe`
/// and as the set-uid-root `/probe-setuid`, and a user `tester` (uid 1000). Its entrypoint is
/// `/probe` with `ids` as the command, so a container given no command runs `/probe ids`.
enum ProbeImage {
    static let compiler = "/usr/bin/cc"

    /// `conformance/probe/probe.c`, found from this source file's place in the tree;
    /// `BERTH_PROBE_SOURCE` overrides it.
    static var sourcePath: String {
        if let path = ProcessInfo.processInfo.environment["BERTH_PROBE_SOURCE"], !path.isEmpty {
            return path
        }
        let testImages = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        return testImages.deletingLastPathComponent().appendingPathComponent("probe/probe.c").path
    }

    static let passwd = BusyboxRootfs.passwd + "tester:x:1000:1000:tester:/home/tester:/bin/sh\n"
    static let group = BusyboxRootfs.group + "tester:x:1000:\n"

    static let recipe = Recipe(
        name: "probe", summary: "busybox plus /probe and set-uid /probe-setuid; entrypoint /probe, cmd ids",
        expectation: .init(layers: 2),
        inputs: {
            // The source decides the binary; the compiler's version line is part of it too.
            let source = (try? FileSystem.read(sourcePath)).flatMap { $0 } ?? []
            let version = (try? runTool(compiler, ["--version"])).map { String(decoding: $0, as: UTF8.self) } ?? ""
            return "probe.c \(SHA256Hasher.digest(source))\n\(version.split(separator: "\n").first ?? "")"
        }
    ) { layout throws(BerthError) in
        var parts = try BusyboxRootfs.image(in: layout)
        let binary = try compile()
        let layer = try LayerWriter.write(
            [
                LayerEntry(path: "probe", content: .bytes(binary), permissions: 0o755),
                LayerEntry(path: "probe-setuid", content: .bytes(binary), permissions: 0o4755),
                .file("etc/passwd", passwd),
                .file("etc/group", group),
                .directory("home/tester", uid: 1000, gid: 1000),
            ], into: layout)
        parts.add(layer, createdBy: "berth-testimages: /probe and /probe-setuid from probe.c, user tester")
        parts.execution.entrypoint = ["/probe"]
        parts.note(#"ENTRYPOINT ["/probe"]"#)
        parts.execution.cmd = ["ids"]
        parts.note(#"CMD ["ids"]"#)
        return try layout.writeImage(parts)
    }

    /// Compiles the probe static and returns the binary's bytes.
    static func compile() throws(BerthError) -> [UInt8] {
        let source = sourcePath
        guard FileSystem.exists(source) else {
            throw BerthError(.failedPrecondition, "\(source): not found (set BERTH_PROBE_SOURCE to conformance/probe/probe.c)")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("berth-probe-\(UUID().uuidString)").path
        try FileSystem.makeDirectory(directory)
        defer { try? FileSystem.removeTree(directory) }
        let output = "\(directory)/probe"
        _ = try runTool(compiler, ["-static", "-O2", "-Wall", "-o", output, source])
        guard let bytes = try FileSystem.read(output), !bytes.isEmpty else {
            throw BerthError(.internal, "\(compiler) wrote no \(output)")
        }
        return bytes
    }
}
