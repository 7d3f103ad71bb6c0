import BerthBase
import ContainerPolicy
import RuntimeSpec
import Testing
@testable import Cgroups

typealias Rule = Resources.DeviceRule
private let block = DeviceFilter.blockType, char = DeviceFilter.charType
private let m = DeviceFilter.mknodAccess, r = DeviceFilter.readAccess, w = DeviceFilter.writeAccess

private func machine(_ rules: [Rule]) throws -> DeviceMachine {
    let machine = try DeviceMachine(DeviceFilter.bytes(of: try DeviceFilter.program(for: rules)))
    try machine.check()
    return machine
}

private func allows(_ machine: DeviceMachine, _ type: Int32, _ major: UInt32, _ minor: UInt32, _ access: Int32) throws -> Bool {
    switch try machine.run(type: type, major: major, minor: minor, access: access) {
    case 1: true
    case 0: false
    case let other: throw DeviceMachine.Failure.malformed("returned \(other)")
    }
}

struct DeviceFilterTests {
    @Test func instructionBytes() {
        let insn = BPFInstruction(code: BPFInstruction.loadWord, dst: 4, src: 1, offset: 4, immediate: -2)
        #expect(insn.bytes == [0x61, 0x14, 4, 0, 0xfe, 0xff, 0xff, 0xff])
    }

    @Test func defaultProgramIsWellFormed() throws {
        let program = try DeviceFilter.program(for: DevicePolicy.defaultRules)
        #expect(program.last?.code == BPFInstruction.exit)
        #expect(program.count < 100)
        for (pc, op) in program.enumerated() where op.code == BPFInstruction.jumpNotEqual32Immediate || op.code == BPFInstruction.jumpEqual32Immediate {
            #expect(op.offset >= 0 && pc + 1 + Int(op.offset) < program.count)
        }
        #expect(DeviceFilter.bytes(of: program).count == program.count * 8)
        try machine(DevicePolicy.defaultRules).check()
    }

    @Test func defaultRules() throws {
        let filter = try machine(DevicePolicy.defaultRules)
        // /dev/null, /dev/zero, /dev/urandom, /dev/tty, /dev/ptmx: read and write.
        for (major, minor) in [(1, 3), (1, 5), (1, 7), (1, 8), (1, 9), (5, 0), (5, 1), (5, 2), (10, 200)] as [(UInt32, UInt32)] {
            #expect(try allows(filter, char, major, minor, r), "\(major):\(minor)")
            #expect(try allows(filter, char, major, minor, r | w), "\(major):\(minor)")
            #expect(try allows(filter, char, major, minor, r | w | m), "\(major):\(minor)")
        }
        // The pts: any minor of 136.
        #expect(try allows(filter, char, 136, 5, r | w))
        #expect(try allows(filter, char, 136, 0, w))
        // A disk: mknod yes, use no.
        #expect(try !allows(filter, block, 8, 0, r))
        #expect(try !allows(filter, block, 8, 0, w))
        #expect(try allows(filter, block, 8, 0, m))
        // /dev/kmsg, /dev/mem: mknod yes, use no.
        #expect(try allows(filter, char, 1, 11, m))
        #expect(try !allows(filter, char, 1, 11, r))
        #expect(try !allows(filter, char, 1, 11, r | m))
        #expect(try !allows(filter, char, 1, 1, r | w))
        // 136 as a block device is not a pts; 1:3 as a block device is not /dev/null.
        #expect(try !allows(filter, block, 136, 5, r))
        #expect(try !allows(filter, block, 1, 3, r))
    }

    @Test func privilegedAllowsEverything() throws {
        let (_, rules) = try DevicePolicy.devices(requested: [], privileged: true, hostDevices: [])
        let filter = try machine(rules)
        #expect(filter.program.count <= 8)
        for type in [block, char] {
            for access in 1 ... 7 {
                #expect(try allows(filter, type, 8, 0, Int32(access)))
                #expect(try allows(filter, type, 1, 11, Int32(access)))
            }
        }
    }

    @Test func lastMatchingRuleWins() throws {
        // Allow all, then deny 1:11: only 1:11 is denied.
        let filter = try machine([Rule(allow: true, access: "rwm"), Rule(allow: false, type: "c", major: 1, minor: 11, access: "rwm")])
        #expect(try !allows(filter, char, 1, 11, r))
        #expect(try allows(filter, char, 1, 3, r))
        #expect(try allows(filter, block, 8, 0, r | w))
        // Deny 1:11, then allow all: the allow overrides.
        let open = try machine([Rule(allow: false, type: "c", major: 1, minor: 11, access: "rwm"), Rule(allow: true, type: "a", access: "rwm")])
        #expect(try allows(open, char, 1, 11, r))
    }

    @Test func accessBitsAreDecidedOneByOne() throws {
        // Read and write allowed by two rules: a request for both is allowed.
        let split = try machine([Rule(allow: false), Rule(allow: true, type: "c", major: 4, minor: 1, access: "r"),
                                 Rule(allow: true, type: "c", major: 4, minor: 1, access: "w")])
        #expect(try allows(split, char, 4, 1, r | w))
        #expect(try !allows(split, char, 4, 1, r | w | m))
        #expect(try !allows(split, char, 4, 2, r))
        // A later deny of write only: read still allowed, read-write not.
        let readOnly = try machine([Rule(allow: false), Rule(allow: true, type: "c", major: 4, access: "rwm"),
                                    Rule(allow: false, type: "c", major: 4, minor: 1, access: "w")])
        #expect(try allows(readOnly, char, 4, 1, r))
        #expect(try !allows(readOnly, char, 4, 1, r | w))
        #expect(try !allows(readOnly, char, 4, 1, w))
        #expect(try allows(readOnly, char, 4, 2, r | w))
        // No rules: nothing is allowed.
        let none = try machine([])
        #expect(try !allows(none, char, 1, 3, r))
    }

    @Test func wildcardsAndDefaults() throws {
        // -1 is any; no access means rwm; no type means all.
        let filter = try machine([Rule(allow: false), Rule(allow: true, type: "c", major: -1, minor: 3)])
        #expect(try allows(filter, char, 7, 3, r | w | m))
        #expect(try !allows(filter, char, 7, 4, r))
        #expect(try !allows(filter, block, 7, 3, r))
        // Large device numbers compare as u32.
        let big = try machine([Rule(allow: true, type: "b", major: 4095, minor: 1_048_575, access: "r")])
        #expect(try allows(big, block, 4095, 1_048_575, r))
        #expect(try !allows(big, block, 4095, 1_048_574, r))
    }

    @Test(arguments: [Rule(allow: true, type: "x"), Rule(allow: true, access: "rwx"), Rule(allow: true, major: -2),
                      Rule(allow: true, minor: 1 << 33)])
    func refusesBadRules(rule: Rule) {
        #expect(throws: BerthError.self) { try DeviceFilter.program(for: [Rule(allow: false), rule]) }
    }
}
