import BerthBase
import RuntimeSpec

/// One eBPF instruction (`struct bpf_insn`: opcode, destination and source registers, a signed
/// 16-bit jump offset and a signed 32-bit immediate).
public struct BPFInstruction: Sendable, Equatable, CustomStringConvertible {
    public var code: UInt8
    public var dst: UInt8
    public var src: UInt8
    public var offset: Int16
    public var immediate: Int32

    public init(code: UInt8, dst: UInt8 = 0, src: UInt8 = 0, offset: Int16 = 0, immediate: Int32 = 0) {
        self.code = code
        self.dst = dst
        self.src = src
        self.offset = offset
        self.immediate = immediate
    }

    // Opcodes: class | operation | source. Only the handful the device filter uses.
    /// `dst = *(u32 *)(src + offset)`
    public static let loadWord: UInt8 = 0x61        // BPF_LDX | BPF_MEM | BPF_W
    /// `dst = (u32)immediate`
    public static let move32Immediate: UInt8 = 0xb4 // BPF_ALU | BPF_MOV | BPF_K
    /// `dst = (u32)src`
    public static let move32Register: UInt8 = 0xbc  // BPF_ALU | BPF_MOV | BPF_X
    /// `dst &= (u32)immediate`
    public static let and32Immediate: UInt8 = 0x54  // BPF_ALU | BPF_AND | BPF_K
    /// `dst >>= immediate` (32-bit)
    public static let shiftRight32Immediate: UInt8 = 0x74 // BPF_ALU | BPF_RSH | BPF_K
    /// `if (u32)dst == (u32)immediate goto pc + 1 + offset`
    public static let jumpEqual32Immediate: UInt8 = 0x16 // BPF_JMP32 | BPF_JEQ | BPF_K
    /// `if (u32)dst != (u32)immediate goto pc + 1 + offset`
    public static let jumpNotEqual32Immediate: UInt8 = 0x56 // BPF_JMP32 | BPF_JNE | BPF_K
    /// `return r0`
    public static let exit: UInt8 = 0x95           // BPF_JMP | BPF_EXIT

    /// The 8 bytes of `struct bpf_insn`, little-endian (registers: dst in the low nibble).
    public var bytes: [UInt8] {
        let off = UInt16(bitPattern: offset)
        let imm = UInt32(bitPattern: immediate)
        return [code, (dst & 0x0f) | (src << 4), UInt8(off & 0xff), UInt8(off >> 8),
                UInt8(imm & 0xff), UInt8((imm >> 8) & 0xff), UInt8((imm >> 16) & 0xff), UInt8(imm >> 24)]
    }

    public var description: String {
        "code=0x\(String(code, radix: 16)) dst=r\(dst) src=r\(src) off=\(offset) imm=\(immediate)"
    }
}

/// Compiles OCI device cgroup rules into a `BPF_PROG_TYPE_CGROUP_DEVICE` program, the cgroup v2
/// form of the v1 `devices.allow` / `devices.deny` lists.
///
/// The program's context is `struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }`
/// with `access_type = access << 16 | type`; it returns 1 to allow the access and 0 to deny it.
/// Rules apply as they would to a v1 device cgroup, in order: for each access bit asked for
/// (mknod, read, write) the last rule that matches the device and names that bit decides. The
/// request is allowed when every bit it asks for is allowed; a bit no rule decides is denied.
public enum DeviceFilter {
    /// `BPF_DEVCG_DEV_BLOCK`, `BPF_DEVCG_DEV_CHAR`.
    public static let blockType: Int32 = 1
    public static let charType: Int32 = 2
    /// `BPF_DEVCG_ACC_MKNOD`, `_READ`, `_WRITE`.
    public static let mknodAccess: Int32 = 1
    public static let readAccess: Int32 = 2
    public static let writeAccess: Int32 = 4
    static let allAccess: Int32 = 7

    // Registers: r1 holds the context on entry; the preamble spreads it over r2-r5.
    static let typeRegister: UInt8 = 2, accessRegister: UInt8 = 3, majorRegister: UInt8 = 4, minorRegister: UInt8 = 5, scratchRegister: UInt8 = 1

    /// The program for `rules`, rules checked from the last to the first. Refuses a rule with an
    /// unknown type or access letter, or a major or minor number that is neither a u32 nor -1.
    public static func program(for rules: [Resources.DeviceRule]) throws(BerthError) -> [BPFInstruction] {
        typealias I = BPFInstruction
        var program: [I] = [
            I(code: I.loadWord, dst: typeRegister, src: 1, offset: 0),       // access_type
            I(code: I.and32Immediate, dst: typeRegister, immediate: 0xffff), // type = access_type & 0xffff
            I(code: I.loadWord, dst: accessRegister, src: 1, offset: 0),
            I(code: I.shiftRight32Immediate, dst: accessRegister, immediate: 16), // access = access_type >> 16: the undecided bits
            I(code: I.loadWord, dst: majorRegister, src: 1, offset: 4),
            I(code: I.loadWord, dst: minorRegister, src: 1, offset: 8),
        ]
        var decided = false
        for (index, rule) in rules.enumerated().reversed() {
            let parsed = try parse(rule, index: index)
            // Each jump to "next rule" is made with offset 0 and patched once the block's length is known.
            var block: [I] = []
            var jumps: [Int] = []
            if let type = parsed.type {
                jumps.append(block.count)
                block.append(I(code: I.jumpNotEqual32Immediate, dst: typeRegister, immediate: type))
            }
            if let major = parsed.major {
                jumps.append(block.count)
                block.append(I(code: I.jumpNotEqual32Immediate, dst: majorRegister, immediate: major))
            }
            if let minor = parsed.minor {
                jumps.append(block.count)
                block.append(I(code: I.jumpNotEqual32Immediate, dst: minorRegister, immediate: minor))
            }
            if jumps.isEmpty && parsed.access == allAccess {
                // Matches every device and decides every bit left: nothing before it matters
                // (and code after it would be unreachable, which the verifier refuses).
                block.append(I(code: I.move32Immediate, dst: 0, immediate: rule.allow ? 1 : 0))
                block.append(I(code: I.exit))
                program += block
                decided = true
                break
            }
            if rule.allow {
                // The bits it allows are decided; allow once none is left undecided.
                block.append(I(code: I.and32Immediate, dst: accessRegister, immediate: ~parsed.access & allAccess))
                jumps.append(block.count)
                block.append(I(code: I.jumpNotEqual32Immediate, dst: accessRegister, immediate: 0))
                block.append(I(code: I.move32Immediate, dst: 0, immediate: 1))
            } else {
                // Deny when it names a bit still undecided.
                block.append(I(code: I.move32Register, dst: scratchRegister, src: accessRegister))
                block.append(I(code: I.and32Immediate, dst: scratchRegister, immediate: parsed.access))
                jumps.append(block.count)
                block.append(I(code: I.jumpEqual32Immediate, dst: scratchRegister, immediate: 0))
                block.append(I(code: I.move32Immediate, dst: 0, immediate: 0))
            }
            block.append(I(code: I.exit))
            for jump in jumps { block[jump].offset = Int16(block.count - jump - 1) }
            program += block
        }
        if !decided {
            program.append(I(code: I.move32Immediate, dst: 0, immediate: 0))
            program.append(I(code: I.exit))
        }
        guard program.count <= 4096 else {
            throw BerthError(.invalidArgument, "device rules: \(rules.count) rules make a program of \(program.count) instructions, more than the 4096 allowed")
        }
        return program
    }

    /// The program as the kernel takes it: `struct bpf_insn` after `struct bpf_insn`.
    public static func bytes(of program: [BPFInstruction]) -> [UInt8] {
        program.flatMap(\.bytes)
    }

    struct ParsedRule {
        var type: Int32?
        var major: Int32?
        var minor: Int32?
        var access: Int32
    }

    static func parse(_ rule: Resources.DeviceRule, index: Int) throws(BerthError) -> ParsedRule {
        let field = "linux.resources.devices[\(index)]"
        var parsed = ParsedRule(access: 0)
        switch rule.type ?? "a" {
        case "a", "": parsed.type = nil
        case "b": parsed.type = blockType
        case "c": parsed.type = charType
        case let other: throw BerthError(.invalidArgument, "\(field).type: \"\(other)\" is not a, b or c")
        }
        parsed.major = try number(rule.major, "\(field).major")
        parsed.minor = try number(rule.minor, "\(field).minor")
        let access = rule.access ?? ""
        for letter in access.isEmpty ? "rwm" : access {
            switch letter {
            case "r": parsed.access |= readAccess
            case "w": parsed.access |= writeAccess
            case "m": parsed.access |= mknodAccess
            default: throw BerthError(.invalidArgument, "\(field).access: \"\(access)\" is not made of r, w and m")
            }
        }
        return parsed
    }

    static func number(_ value: Int64?, _ field: String) throws(BerthError) -> Int32? {
        guard let value, value != -1 else { return nil }
        guard let number = UInt32(exactly: value) else {
            throw BerthError(.invalidArgument, "\(field): \(value) is not a device number (or -1 for any)")
        }
        return Int32(bitPattern: number)
    }
}
