import ArgumentParser
import Testing
@testable import BerthGuestTool

/// Bad options are refused with the option's name before anything is fetched or booted.
@Suite struct CommandLineTests {
    @Test(arguments: [
        (["run", "--timeout", "0", "--", "true"], "--timeout"),
        (["run", "--boot-timeout", "0", "--", "true"], "--boot-timeout"),
        (["run", "--cpus", "0", "--", "true"], "--cpus"),
        (["run", "--memory", "10", "--", "true"], "--memory"),
        (["run", "--accel", "bogus", "--", "true"], "--accel"),
        (["run", "--"], "no command"),
        (["bench", "--runs", "0"], "--runs"),
        (["probe", "--probe-timeout", "0"], "--probe-timeout"),
    ])
    func refused(_ arguments: [String], _ named: String) {
        do {
            _ = try BerthGuest.parseAsRoot(arguments)
            Issue.record("\(arguments) was accepted")
        } catch {
            let message = BerthGuest.message(for: error)
            #expect(message.contains(named), "\(arguments): \(message)")
        }
    }

    @Test func goodOptionsParse() throws {
        let command = try BerthGuest.parseAsRoot(["run", "--cpus", "2", "--memory", "1024", "--", "echo", "hi"])
        let run = try #require(command as? Run)
        #expect(run.command.filter { $0 != "--" } == ["echo", "hi"])
        #expect(run.machine.memory == 1024)
    }
}
