#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import BerthBase
import CLinux
import RuntimeSpec

extension Cgroup {
    /// Enforces device rules on the cgroup: compiles them with `DeviceFilter`, loads the program
    /// and attaches it to the cgroup (next to any others, `BPF_F_ALLOW_MULTI`, so an access must
    /// pass them all). The program stays attached until the cgroup is removed; the file
    /// descriptors used on the way are closed.
    public func applyDevices(_ rules: [Resources.DeviceRule]) throws(BerthError) {
        let program = try DeviceFilter.program(for: rules)
        let bytes = DeviceFilter.bytes(of: program)
        var programFD = bytes.withUnsafeBytes { berth_bpf_prog_load_cgroup_device($0.baseAddress, UInt32(program.count), nil, 0) }
        if programFD < 0 {
            // Again with a log, for the verifier's reasons.
            let code = errno
            var log = [CChar](repeating: 0, count: 64 * 1024)
            programFD = log.withUnsafeMutableBufferPointer { buffer in
                bytes.withUnsafeBytes { berth_bpf_prog_load_cgroup_device($0.baseAddress, UInt32(program.count), buffer.baseAddress, UInt32(buffer.count)) }
            }
            if programFD < 0 {
                let text = log.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
                    .split(separator: "\n").suffix(20).joined(separator: "\n")
                throw BerthError(Self.bpfErrorCode(code),
                                 "apply device rules to cgroup \(path): load the device filter (\(program.count) instructions): \(FileSystem.errnoText(code))\(text.isEmpty ? "" : "; verifier: \(text)")")
            }
        }
        defer { close(programFD) }
        let cgroupFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard cgroupFD >= 0 else {
            let code = errno
            throw BerthError(CgroupFiles.errorCode(code), "apply device rules to cgroup \(path): open \(directory): \(FileSystem.errnoText(code))")
        }
        defer { close(cgroupFD) }
        guard berth_bpf_prog_attach(programFD, cgroupFD, berth_bpf_f_allow_multi()) == 0 else {
            let code = errno
            throw BerthError(Self.bpfErrorCode(code), "apply device rules to cgroup \(path): attach the device filter: \(FileSystem.errnoText(code))")
        }
    }

    static func bpfErrorCode(_ code: Int32) -> ErrorCode {
        switch code {
        case EPERM, EACCES: .permissionDenied
        case ENOSYS, EOPNOTSUPP, EINVAL: .failedPrecondition
        default: CgroupFiles.errorCode(code)
        }
    }
}
