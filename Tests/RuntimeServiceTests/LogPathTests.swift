import Testing
@testable import RuntimeService

@Suite struct LogPathTests {
    @Test func theContainersPathJoinsThePodsDirectory() {
        #expect(RuntimeService.logPath(directory: "/var/log/pods/p", path: "c/0.log") == "/var/log/pods/p/c/0.log")
        #expect(RuntimeService.logPath(directory: "/var/log/pods/p/", path: "c/0.log") == "/var/log/pods/p/c/0.log")
        #expect(RuntimeService.logPath(directory: "/var/log/pods/p", path: "/abs/0.log") == "/abs/0.log")
    }

    @Test func noPathOrNoDirectoryForARelativePathMeansNoLogFile() {
        #expect(RuntimeService.logPath(directory: "/var/log/pods/p", path: "") == "")
        #expect(RuntimeService.logPath(directory: "", path: "c/0.log") == "")
        #expect(RuntimeService.logPath(directory: "", path: "/abs/0.log") == "/abs/0.log")
    }
}
