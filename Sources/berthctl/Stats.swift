import ArgumentParser
import BerthBase
import CRI
import Foundation

/// `berthctl stats [CONTAINER...]`: container usage as `crictl stats` shows it; CPU % comes
/// from two samples taken `--seconds` apart.
struct Stats: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List container resource usage.")

    @ParentCommand var root: Berthctl

    @Argument(help: "Container ids or unique prefixes of them (default: all).")
    var containers: [String] = []

    @Flag(name: .shortAndLong, help: "Show containers in every state, not only running ones.")
    var all = false

    @Option(help: "Only the container with this id (or id prefix).")
    var id: String?

    @Option(name: [.short, .long], help: "Only containers of this pod (id or unique prefix).")
    var pod: String?

    @OptionGroup var sampling: SamplingOptions

    func run() async throws {
        let labels = try LabelSelector.parse(sampling.label)
        let (first, second) = try await root.withSession { session in
            var filter = Runtime_V1_ContainerStatsFilter()
            filter.labelSelector = labels
            if let pod { filter.podSandboxID = try await session.resolvePods([pod])[0] }
            let listed = try await session.listContainers()
            var wanted = try (containers + (id.map { [$0] } ?? [])).map { prefix throws(BerthError) in
                try IDPrefix.resolve(prefix, among: listed.map(\.id), kind: "container")
            }
            if wanted.count == 1 { filter.id = wanted[0] }
            if wanted.isEmpty && !all {
                wanted = listed.filter { $0.state == .containerRunning }.map(\.id)
                if wanted.isEmpty { return ([Runtime_V1_ContainerStats](), [Runtime_V1_ContainerStats]?.none) }
            }
            let keep = Set(wanted)
            let sample = { () async throws(BerthError) -> [Runtime_V1_ContainerStats] in
                var request = Runtime_V1_ListContainerStatsRequest()
                request.filter = filter
                let stats = try await session.call(
                    Method.runtime("ListContainerStats"), request, as: Runtime_V1_ListContainerStatsResponse.self
                ).stats
                return keep.isEmpty ? stats : stats.filter { keep.contains($0.attributes.id) }
            }
            let first = try await sample()
            guard sampling.seconds > 0, sampling.output == .table else { return (first, nil) }
            try await Task.sleep(for: .seconds(sampling.seconds))
            return (first, try await sample())
        }
        switch sampling.output {
        case .json, .yaml:
            var response = Runtime_V1_ListContainerStatsResponse()
            response.stats = second ?? first
            try printDocument(JSONValue(message: response), as: sampling.output)
        case .table:
            print(Self.table(first: first, second: second), terminator: "")
        }
    }

    /// `CONTAINER  NAME  CPU %  MEM  DISK  INODES`, from the later sample; CPU % over the time
    /// between the samples, or the runtime's own recent rate when there is one sample only.
    static func table(first: [Runtime_V1_ContainerStats], second: [Runtime_V1_ContainerStats]?) -> String {
        var table = Table(header: ["CONTAINER", "NAME", "CPU %", "MEM", "DISK", "INODES"])
        let earlier = Dictionary(first.map { ($0.attributes.id, $0.cpu) }, uniquingKeysWith: { a, _ in a })
        for stats in (second ?? first).sorted(by: { $0.attributes.metadata.name < $1.attributes.metadata.name }) {
            let cpu = second == nil ? cpuPercent(stats.cpu) : cpuPercent(from: earlier[stats.attributes.id], to: stats.cpu)
            table.append([
                truncatedID(stats.attributes.id),
                stats.attributes.metadata.name,
                cpu.map { String(format: "%.2f", $0) } ?? "-",
                stats.memory.hasWorkingSetBytes ? humanSize(stats.memory.workingSetBytes.value) : "-",
                stats.writableLayer.hasUsedBytes ? humanSize(stats.writableLayer.usedBytes.value) : "-",
                stats.writableLayer.hasInodesUsed ? String(stats.writableLayer.inodesUsed.value) : "-",
            ])
        }
        return table.render()
    }
}

/// CPU % between two samples: CPU time used over time passed; nil without both.
func cpuPercent(from earlier: Runtime_V1_CpuUsage?, to later: Runtime_V1_CpuUsage) -> Double? {
    guard let earlier, earlier.hasUsageCoreNanoSeconds, later.hasUsageCoreNanoSeconds,
        later.timestamp > earlier.timestamp,
        later.usageCoreNanoSeconds.value >= earlier.usageCoreNanoSeconds.value
    else { return cpuPercent(later) }
    let used = Double(later.usageCoreNanoSeconds.value - earlier.usageCoreNanoSeconds.value)
    return used / Double(later.timestamp - earlier.timestamp) * 100
}

/// CPU % from one sample: the runtime's recent rate in nanocores, when it reports one.
func cpuPercent(_ usage: Runtime_V1_CpuUsage) -> Double? {
    usage.hasUsageNanoCores ? Double(usage.usageNanoCores.value) / 1e7 : nil
}

/// `berthctl statsp [POD...]`: pod usage as `crictl statsp` shows it.
struct PodStats: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "statsp", abstract: "List pod resource usage.")

    @ParentCommand var root: Berthctl

    @Argument(help: "Pod sandbox ids or unique prefixes of them (default: all).")
    var pods: [String] = []

    @Option(help: "Only the pod with this id (or id prefix).")
    var id: String?

    @OptionGroup var sampling: SamplingOptions

    func run() async throws {
        let labels = try LabelSelector.parse(sampling.label)
        let (first, second) = try await root.withSession { session in
            var filter = Runtime_V1_PodSandboxStatsFilter()
            filter.labelSelector = labels
            let wanted = Set(try await session.resolvePods(pods + (id.map { [$0] } ?? [])))
            if wanted.count == 1, let only = wanted.first { filter.id = only }
            let sample = { () async throws(BerthError) -> [Runtime_V1_PodSandboxStats] in
                var request = Runtime_V1_ListPodSandboxStatsRequest()
                request.filter = filter
                let stats = try await session.call(
                    Method.runtime("ListPodSandboxStats"), request, as: Runtime_V1_ListPodSandboxStatsResponse.self
                ).stats
                return wanted.isEmpty ? stats : stats.filter { wanted.contains($0.attributes.id) }
            }
            let first = try await sample()
            guard sampling.seconds > 0, sampling.output == .table else { return (first, [Runtime_V1_PodSandboxStats]?.none) }
            try await Task.sleep(for: .seconds(sampling.seconds))
            return (first, try await sample())
        }
        switch sampling.output {
        case .json, .yaml:
            var response = Runtime_V1_ListPodSandboxStatsResponse()
            response.stats = second ?? first
            try printDocument(JSONValue(message: response), as: sampling.output)
        case .table:
            print(Self.table(first: first, second: second), terminator: "")
        }
    }

    /// `POD  POD ID  CPU %  MEM`, as `Stats.table` computes them.
    static func table(first: [Runtime_V1_PodSandboxStats], second: [Runtime_V1_PodSandboxStats]?) -> String {
        var table = Table(header: ["POD", "POD ID", "CPU %", "MEM"])
        let earlier = Dictionary(first.map { ($0.attributes.id, $0.linux.cpu) }, uniquingKeysWith: { a, _ in a })
        for stats in (second ?? first).sorted(by: { $0.attributes.metadata.name < $1.attributes.metadata.name }) {
            let cpu = second == nil
                ? cpuPercent(stats.linux.cpu) : cpuPercent(from: earlier[stats.attributes.id], to: stats.linux.cpu)
            table.append([
                stats.attributes.metadata.name,
                truncatedID(stats.attributes.id),
                cpu.map { String(format: "%.2f", $0) } ?? "-",
                stats.linux.memory.hasWorkingSetBytes ? humanSize(stats.linux.memory.workingSetBytes.value) : "-",
            ])
        }
        return table.render()
    }
}

/// The options `stats` and `statsp` share: a label filter, the output format, and the gap
/// between the two samples CPU % is computed from.
struct SamplingOptions: ParsableArguments {
    @Option(help: "Only those with this label, KEY=VALUE; may be repeated.")
    var label: [String] = []

    @Option(name: .shortAndLong, help: "Output format: json, yaml or table.")
    var output: OutputFormat = .table

    @Option(name: .shortAndLong, help: "Seconds between the two samples CPU % is computed from (0: one sample).")
    var seconds = 1

    func validate() throws {
        _ = try LabelSelector.parse(label)
        if seconds < 0 { throw ValidationError("--seconds must not be negative") }
    }
}
