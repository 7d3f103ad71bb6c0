import BerthBase
import BerthConfig
import Foundation
import Testing

/// A temporary directory removed when the test ends.
private func withTemporaryDirectory(_ body: (String) throws -> Void) throws {
    let path = NSTemporaryDirectory() + "berth-config-\(UUID().uuidString)"
    try FileSystem.makeDirectory(path)
    defer { try? FileSystem.removeTree(path) }
    try body(path)
}

@Suite struct ConfigLoadingTests {
    @Test func loadsAFile() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/config.toml"
            try FileSystem.atomicWrite(Array("root = \"/srv/berth\"\n[api]\nsocket_mode = \"0600\"\n".utf8), to: path)
            let config = try Config.load(path: path)
            #expect(config.rootDirectory == "/srv/berth")
            #expect(config.socketMode == 0o600)
            #expect(config.stateDirectory == Config().stateDirectory)
        }
    }

    @Test func missingExplicitFileIsAnError() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/absent.toml"
            #expect(throws: BerthError(.notFound, "config \(path): no such file")) {
                try Config.load(path: path)
            }
        }
    }

    @Test func errorsNameTheFile() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/config.toml"
            try FileSystem.atomicWrite(Array("[api]\nsockett = \"/x\"\n".utf8), to: path)
            #expect(throws: BerthError(.invalidArgument, "config \(path): unknown key api.sockett")) {
                try Config.load(path: path)
            }
        }
    }

    @Test func refusesBinaryFiles() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/config.toml"
            try FileSystem.atomicWrite([0xff, 0xfe, 0x00], to: path)
            #expect(throws: BerthError(.invalidArgument, "config \(path): not UTF-8 text")) {
                try Config.load(path: path)
            }
        }
    }

    @Test(.enabled(if: !FileSystem.exists(Config.defaultPath), "\(Config.defaultPath) exists on this machine"))
    func noPathAndNoDefaultFileGivesDefaults() throws {
        #expect(try Config.load(path: nil) == Config())
    }
}
