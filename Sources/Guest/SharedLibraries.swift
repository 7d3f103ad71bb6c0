import BerthBase

/// The shared libraries a dynamically linked program loads, as `ldd` lists them.
public enum SharedLibraries {
    /// Absolute paths from `ldd` output: `name => /path (0x…)` and the loader's `/path (0x…)`;
    /// the vDSO (no file) is left out. A library ldd could not find is an error.
    public static func parse(lddOutput text: String, program: String) throws(BerthError) -> [String] {
        var paths: [String] = []
        for rawLine in text.split(separator: "\n") {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("statically linked") || line.contains("not a dynamic executable") { continue }
            if line.contains("=> not found") {
                throw BerthError(.notFound, "\(program): shared library \(line.split(separator: " ").first ?? "?") not found")
            }
            var target = Substring(line)
            if let arrow = line.range(of: "=> ") { target = line[arrow.upperBound...] }
            let path = target.split(separator: " ").first.map(String.init) ?? ""
            if path.hasPrefix("/") { paths.append(path) }
        }
        return paths
    }

    /// The libraries of every program, each once, in first-seen order.
    public static func of(_ programs: [String]) throws(BerthError) -> [String] {
        var seen = Set<String>()
        var all: [String] = []
        for program in programs {
            let result = try Command.run("/usr/bin/ldd", [program], deadline: .seconds(30))
            // ldd exits 1 for a static program; its output says so.
            let output = result.stdoutText + result.stderrText
            if result.status != 0 && !(output.contains("not a dynamic executable") || output.contains("statically linked")) {
                throw BerthError(.internal, "ldd \(program): exit status \(result.status): \(result.stderrText)")
            }
            for library in try parse(lddOutput: result.stdoutText, program: program) where seen.insert(library).inserted {
                all.append(library)
            }
        }
        return all
    }
}
