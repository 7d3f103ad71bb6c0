import BerthBase

/// Sandbox and container ids: 64 lowercase hex digits, random, as containerd makes them.
public enum Identifiers {
    public static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        var text = ""
        for _ in 0..<4 {
            let word = generator.next() as UInt64
            let hex = String(word, radix: 16)
            text += String(repeating: "0", count: 16 - hex.count) + hex
        }
        return text
    }

    /// Refuses ids that could never name a record, before they reach a path.
    public static func validate(_ id: String, kind: String) throws(BerthError) {
        guard !id.isEmpty else { throw BerthError(.invalidArgument, "\(kind) id is empty") }
        guard id.utf8.count <= 64, id.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else {
            throw BerthError(.invalidArgument, "\(kind) id \"\(id.prefix(80))\" is not a hex id")
        }
    }
}
