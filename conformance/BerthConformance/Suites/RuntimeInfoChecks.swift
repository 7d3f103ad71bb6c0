import CRI

/// "Runtime info": Version, Status and RuntimeConfig.
enum RuntimeInfoChecks {
    static let all: [Check] = [version, statusConditions, verboseStatus, runtimeConfig]

    static let version = Check("runtime/version reports all four fields") { harness in
        var request = Runtime_V1_VersionRequest()
        request.version = "v1"
        let version = try await harness.call(Method.runtime("Version"), request, as: Runtime_V1_VersionResponse.self)
        try expect(!version.version.isEmpty, "version is empty")
        try expect(!version.runtimeName.isEmpty, "runtime name is empty")
        try expect(!version.runtimeVersion.isEmpty, "runtime version is empty")
        try expect(!version.runtimeApiVersion.isEmpty, "runtime API version is empty")
    }

    static let statusConditions = Check("runtime/status reports RuntimeReady and NetworkReady") { harness in
        let status = try await harness.call(
            Method.runtime("Status"), Runtime_V1_StatusRequest(), as: Runtime_V1_StatusResponse.self)
        let conditions = status.status.conditions
        let types = conditions.map(\.type)
        for wanted in ["RuntimeReady", "NetworkReady"] {
            try expect(types.contains(wanted), "conditions \(types) lack \(wanted)")
        }
        for condition in conditions where condition.type == "RuntimeReady" {
            try expect(condition.status, "RuntimeReady is false: \(condition.reason): \(condition.message)")
        }
        // CRI: a condition that is not true must say why.
        for condition in conditions where !condition.status {
            try expect(!condition.reason.isEmpty, "condition \(condition.type) is false with no reason")
        }
    }

    static let verboseStatus = Check("runtime/verbose status reports handler features") { harness in
        var request = Runtime_V1_StatusRequest()
        request.verbose = true
        let status = try await harness.call(Method.runtime("Status"), request, as: Runtime_V1_StatusResponse.self)
        try expect(!status.info.isEmpty, "verbose status has no info")
        let names = status.runtimeHandlers.map(\.name)
        // The default handler may be listed under the empty name, as containerd does.
        let handler = status.runtimeHandlers.first { $0.name == harness.runtimeHandler }
            ?? status.runtimeHandlers.first { $0.name.isEmpty && harness.runtimeHandler == "native" }
        guard let handler else {
            throw CheckFailure(reason: "runtime handlers \(names) lack \"\(harness.runtimeHandler)\"")
        }
        try expect(handler.hasFeatures, "handler \"\(handler.name)\" reports no features")
        for other in status.runtimeHandlers {
            try expect(other.hasFeatures, "handler \"\(other.name)\" reports no features")
        }
    }

    static let runtimeConfig = Check("runtime/runtime config reports the cgroupfs driver") { harness in
        let config = try await harness.call(
            Method.runtime("RuntimeConfig"), Runtime_V1_RuntimeConfigRequest(),
            as: Runtime_V1_RuntimeConfigResponse.self)
        try expect(config.hasLinux, "runtime config has no linux section")
        try expectEqual(config.linux.cgroupDriver, .cgroupfs, "cgroup driver")
    }
}
