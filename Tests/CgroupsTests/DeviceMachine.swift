@testable import Cgroups

/// An eBPF interpreter for the few instructions `DeviceFilter` emits, so tests can ask what a
/// device program answers for an access without loading it into the kernel. It reads the
/// program from its bytes, as the kernel does.
struct DeviceMachine {
    struct Instruction {
        var code: UInt8
        var dst: Int
        var src: Int
        var offset: Int16
        var immediate: Int32
    }

    enum Failure: Error, Equatable { case malformed(String) }

    let program: [Instruction]

    init(_ bytes: [UInt8]) throws {
        guard bytes.count % 8 == 0, !bytes.isEmpty else { throw Failure.malformed("\(bytes.count) bytes") }
        func word(_ at: Int) -> UInt32 {
            let low = UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8
            let high = UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
            return low | high
        }
        program = stride(from: 0, to: bytes.count, by: 8).map { (at: Int) -> Instruction in
            let offset = Int16(bitPattern: UInt16(bytes[at + 2]) | UInt16(bytes[at + 3]) << 8)
            return Instruction(code: bytes[at], dst: Int(bytes[at + 1] & 0x0f), src: Int(bytes[at + 1] >> 4),
                               offset: offset, immediate: Int32(bitPattern: word(at + 4)))
        }
    }

    /// Checks what the verifier would refuse outright: registers out of range, jumps out of the
    /// program or backwards, opcodes not in the set, and a last instruction that is not `exit`.
    func check() throws {
        guard program.last?.code == BPFInstruction.exit else { throw Failure.malformed("does not end with exit") }
        for (pc, op) in program.enumerated() {
            guard op.dst <= 10, op.src <= 10 else { throw Failure.malformed("register at \(pc)") }
            switch op.code {
            case BPFInstruction.jumpEqual32Immediate, BPFInstruction.jumpNotEqual32Immediate:
                let target = pc + 1 + Int(op.offset)
                guard op.offset >= 0, target < program.count else { throw Failure.malformed("jump at \(pc) to \(target)") }
            case BPFInstruction.loadWord:
                guard op.src == 1, [0, 4, 8].contains(op.offset) else { throw Failure.malformed("load at \(pc)") }
            case BPFInstruction.move32Immediate, BPFInstruction.move32Register, BPFInstruction.and32Immediate,
                 BPFInstruction.shiftRight32Immediate, BPFInstruction.exit:
                break
            default: throw Failure.malformed("opcode 0x\(String(op.code, radix: 16)) at \(pc)")
            }
        }
    }

    /// The program's answer (1 allow, 0 deny) for `access` (BPF_DEVCG_ACC_* bits) to a device.
    func run(type: Int32, major: UInt32, minor: UInt32, access: Int32) throws -> UInt64 {
        // struct bpf_cgroup_dev_ctx, as the words at offsets 0, 4 and 8.
        let context: [Int16: UInt32] = [0: UInt32(access) << 16 | UInt32(type), 4: major, 8: minor]
        var registers = [UInt64](repeating: 0, count: 11)
        var written: Set<Int> = [1, 10]
        var pc = 0
        var steps = 0
        while pc < program.count {
            steps += 1
            guard steps < 100_000 else { throw Failure.malformed("does not stop") }
            let op = program[pc]
            pc += 1
            func read(_ register: Int) throws -> UInt32 {
                guard written.contains(register) else { throw Failure.malformed("r\(register) read before written at \(pc - 1)") }
                return UInt32(truncatingIfNeeded: registers[register])
            }
            switch op.code {
            case BPFInstruction.loadWord:
                guard op.src == 1, let word = context[op.offset] else { throw Failure.malformed("load at \(pc - 1)") }
                registers[op.dst] = UInt64(word)
            case BPFInstruction.move32Immediate:
                registers[op.dst] = UInt64(UInt32(bitPattern: op.immediate))
            case BPFInstruction.move32Register:
                registers[op.dst] = UInt64(try read(op.src))
            case BPFInstruction.and32Immediate:
                registers[op.dst] = UInt64(try read(op.dst) & UInt32(bitPattern: op.immediate))
            case BPFInstruction.shiftRight32Immediate:
                registers[op.dst] = UInt64(try read(op.dst) >> UInt32(op.immediate))
            case BPFInstruction.jumpEqual32Immediate:
                if try read(op.dst) == UInt32(bitPattern: op.immediate) { pc += Int(op.offset) }
            case BPFInstruction.jumpNotEqual32Immediate:
                if try read(op.dst) != UInt32(bitPattern: op.immediate) { pc += Int(op.offset) }
            case BPFInstruction.exit:
                guard written.contains(0) else { throw Failure.malformed("exit without r0 at \(pc - 1)") }
                return registers[0]
            default:
                throw Failure.malformed("opcode 0x\(String(op.code, radix: 16)) at \(pc - 1)")
            }
            written.insert(op.dst)
        }
        throw Failure.malformed("ran off the end")
    }
}
