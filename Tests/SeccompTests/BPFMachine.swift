import CSeccomp

/// A classic BPF interpreter for the instructions libseccomp emits, so tests can ask what a
/// compiled filter answers for a system call without loading it into the kernel.
struct BPFMachine {
    struct Instruction {
        var code: UInt16
        var jt: UInt8
        var jf: UInt8
        var k: UInt32
    }

    enum Failure: Error { case malformed(String) }

    let program: [Instruction]

    init(_ bytes: [UInt8]) throws {
        guard bytes.count % 8 == 0 else { throw Failure.malformed("\(bytes.count) bytes") }
        program = stride(from: 0, to: bytes.count, by: 8).map { offset in
            let word = { (at: Int) in UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24 }
            return Instruction(code: UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8,
                               jt: bytes[offset + 2], jf: bytes[offset + 3], k: word(offset + 4))
        }
    }

    /// The x86_64 audit architecture and 32-bit x86's.
    static let x86_64: UInt32 = 0xC000_003E
    static let i386: UInt32 = 0x4000_0003

    /// The filter's return value for a call.
    func run(arch: UInt32 = x86_64, nr: Int32, args: [UInt64] = []) throws -> UInt32 {
        // struct seccomp_data: nr, arch, instruction_pointer, args[6], little-endian.
        var data = [UInt32](repeating: 0, count: 16)
        data[0] = UInt32(bitPattern: nr)
        data[1] = arch
        for (index, arg) in args.enumerated() {
            data[4 + index * 2] = UInt32(truncatingIfNeeded: arg)
            data[5 + index * 2] = UInt32(truncatingIfNeeded: arg >> 32)
        }
        var a: UInt32 = 0
        var x: UInt32 = 0
        var memory = [UInt32](repeating: 0, count: 16)
        var pc = 0
        while pc < program.count {
            let op = program[pc]
            pc += 1
            let source = (op.code & 0x08) != 0 ? x : op.k
            switch op.code & 0x07 {
            case 0x00: // LD
                switch op.code & 0xe0 {
                case 0x20: guard op.k % 4 == 0, Int(op.k / 4) < data.count else { throw Failure.malformed("load \(op.k)") }
                    a = data[Int(op.k / 4)]
                case 0x00: a = op.k
                case 0x60: a = memory[Int(op.k)]
                default: throw Failure.malformed("ld mode \(op.code)")
                }
            case 0x01: // LDX
                switch op.code & 0xe0 {
                case 0x00: x = op.k
                case 0x60: x = memory[Int(op.k)]
                default: throw Failure.malformed("ldx mode \(op.code)")
                }
            case 0x02: memory[Int(op.k)] = a
            case 0x03: memory[Int(op.k)] = x
            case 0x04: // ALU
                switch op.code & 0xf0 {
                case 0x00: a = a &+ source
                case 0x10: a = a &- source
                case 0x40: a |= source
                case 0x50: a &= source
                case 0x60: a = a << source
                case 0x70: a = a >> source
                case 0x80: a = 0 &- a
                default: throw Failure.malformed("alu \(op.code)")
                }
            case 0x05: // JMP
                let taken: Bool
                switch op.code & 0xf0 {
                case 0x00: pc += Int(op.k); continue
                case 0x10: taken = a == source
                case 0x20: taken = a > source
                case 0x30: taken = a >= source
                case 0x40: taken = (a & source) != 0
                default: throw Failure.malformed("jmp \(op.code)")
                }
                pc += Int(taken ? op.jt : op.jf)
            case 0x06: return (op.code & 0x18) == 0x10 ? a : op.k
            case 0x07: if (op.code & 0xf8) == 0x00 { x = a } else { a = x }
            default: throw Failure.malformed("class \(op.code)")
            }
        }
        throw Failure.malformed("ran off the end")
    }

    /// The filter's answer for a call by name, on x86_64 unless told.
    func run(_ name: String, arch: UInt32 = x86_64, _ args: UInt64...) throws -> UInt32 {
        let token = arch == Self.i386 ? seccomp_arch_resolve_name("x86") : seccomp_arch_resolve_name("x86_64")
        let nr = seccomp_syscall_resolve_name_arch(token, name)
        guard nr >= 0 else { throw Failure.malformed("no number for \(name)") }
        return try run(arch: arch, nr: nr, args: args)
    }
}

enum Verdict {
    static let allow: UInt32 = 0x7fff_0000
    static let eperm: UInt32 = 0x0005_0001
    static let enosys: UInt32 = 0x0005_0026
    static func errno(_ number: UInt32) -> UInt32 { 0x0005_0000 | number }
}
