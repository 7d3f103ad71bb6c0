import BerthBase

/// A kernel's `modules.dep`: which module files each module needs loaded before it.
public struct ModuleDependencies: Sendable {
    /// Module name (`virtio_blk`) → its file relative to the modules directory.
    public private(set) var files: [String: String] = [:]
    /// Module file → the files it depends on.
    public private(set) var dependencies: [String: [String]] = [:]

    public init(parsing text: String) {
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let file = String(line[..<colon]).trimmingCharacters(in: .whitespaces)
            guard !file.isEmpty else { continue }
            files[Self.moduleName(ofFile: file)] = file
            dependencies[file] = line[line.index(after: colon)...].split(separator: " ").map(String.init)
        }
    }

    /// `kernel/drivers/block/virtio_blk.ko` → `virtio_blk`; dashes and underscores are one
    /// character to the kernel, so names are kept with underscores.
    public static func moduleName(ofFile file: String) -> String {
        var name = file.split(separator: "/").last.map(String.init) ?? file
        if let range = name.range(of: ".ko") { name = String(name[..<range.lowerBound]) }
        return name.replacingOccurrences(of: "-", with: "_")
    }

    /// The module files to insert, in an order where each comes after everything it needs, for
    /// the named modules and their dependencies; each file once. Names the kernel has built in
    /// (`builtin`) are left out; an unknown name is an error.
    public func loadOrder(for names: [String], builtin: Set<String> = []) throws(BerthError) -> [String] {
        var order: [String] = []
        var done = Set<String>()
        var visiting = Set<String>()
        func visit(_ file: String, path: [String]) throws(BerthError) {
            if done.contains(file) { return }
            guard visiting.insert(file).inserted else {
                throw BerthError(.failedPrecondition, "modules.dep: dependency cycle through \((path + [file]).joined(separator: " → "))")
            }
            for dependency in dependencies[file] ?? [] {
                try visit(dependency, path: path + [file])
            }
            visiting.remove(file)
            done.insert(file)
            order.append(file)
        }
        for name in names {
            let normalised = name.replacingOccurrences(of: "-", with: "_")
            if builtin.contains(normalised) { continue }
            guard let file = files[normalised] else {
                throw BerthError(.notFound, "kernel module \(name): not in modules.dep and not built in")
            }
            try visit(file, path: [])
        }
        return order
    }

    /// The names in a `modules.builtin` file.
    public static func builtinNames(parsing text: String) -> Set<String> {
        Set(text.split(separator: "\n").map { moduleName(ofFile: String($0)) })
    }
}
