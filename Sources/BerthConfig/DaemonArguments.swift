import BerthBase

/// What berthd's command line asks for.
public enum DaemonCommand: Equatable, Sendable {
    /// Start the daemon: the configuration file (nil: the default one, when it exists) and the
    /// settings given as flags, which win over the file.
    case run(configPath: String?, overrides: Overrides)
    case help
    case version
}

/// berthd's command line: `--config` and one flag per `Overrides` setting, each as
/// `--flag VALUE` or `--flag=VALUE` (the last one given wins), plus `--help` and `--version`.
///
/// Parsed by hand rather than with a command-line library: a daemon has a handful of flags,
/// and every page of code berthd does not load is memory an idle node keeps.
public enum DaemonArguments {
    /// The flags that take a value, with their help.
    static let options: [(flag: String, help: String)] = [
        ("--config", "Configuration file (TOML). Default: /etc/berth/config.toml when it exists."),
        ("--root", "Directory for images and persistent state (default /var/lib/berth)."),
        ("--state", "Directory for runtime state (default /run/berth)."),
        ("--socket", "Unix socket to listen on (default /run/berth/berth.sock)."),
        ("--socket-mode", "Permissions of the socket, octal (default 0660)."),
        ("--socket-group", "Group owning the socket (default root)."),
        ("--log-level", "Log level: trace, debug, info, notice, warning, error, critical (default info)."),
        ("--platform", "Platform chosen from multi-platform images, like linux/arm64 (default linux/amd64)."),
    ]

    public static let usage: String = {
        let rows = options.map { ("\($0.flag) <value>", $0.help) }
            + [("--version", "Show the version."), ("-h, --help", "Show help information.")]
        let width = rows.map(\.0.count).max() ?? 0
        let lines = rows.map { left, help in "  \(left)\(String(repeating: " ", count: width - left.count))  \(help)" }
        return """
            OVERVIEW: The Berth container runtime daemon: CRI over HTTP/1.1 + JSON on a Unix socket.

            USAGE: berthd [--config <value>] [--root <value>] [--state <value>] [--socket <value>] …

            OPTIONS:
            \(lines.joined(separator: "\n"))
            """
    }()

    /// Parses the arguments after the program name. An error names the argument at fault.
    public static func parse(_ arguments: [String]) throws(BerthError) -> DaemonCommand {
        var values: [String: String] = [:]
        var remaining = arguments[...]
        while let argument = remaining.popFirst() {
            if argument == "-h" || argument == "--help" { return .help }
            if argument == "--version" { return .version }
            guard argument.hasPrefix("--") else {
                throw BerthError(.invalidArgument, "unexpected argument \"\(argument)\"; berthd takes only flags (see --help)")
            }
            let equals = argument.firstIndex(of: "=")
            let flag = String(argument[..<(equals ?? argument.endIndex)])
            guard options.contains(where: { $0.flag == flag }) else {
                throw BerthError(.invalidArgument, "unknown option \(flag) (see --help)")
            }
            if let equals {
                values[flag] = String(argument[argument.index(after: equals)...])
            } else if let value = remaining.popFirst() {
                values[flag] = value
            } else {
                throw BerthError(.invalidArgument, "\(flag) needs a value")
            }
        }
        let overrides = Overrides(
            root: values["--root"], state: values["--state"], socket: values["--socket"],
            socketMode: values["--socket-mode"], socketGroup: values["--socket-group"],
            logLevel: values["--log-level"], platform: values["--platform"])
        return .run(configPath: values["--config"], overrides: overrides)
    }
}
