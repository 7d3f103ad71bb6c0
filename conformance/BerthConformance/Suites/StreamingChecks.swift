import BerthBase
import BerthClient
import CRI
import StreamProtocol

/// "Streaming": Exec and Attach through the one-time WebSocket URLs berthd hands out,
/// spoken with the Kubernetes channel protocol: output on its channels, the exit status as a
/// `Status` on the status channel, stdin (and its end), a TTY and its resize.
enum StreamingChecks {
    static let all: [Check] = [execOutput, execV4, execStdinEnd, execTtyStdin, attachStdinOnce, resize]

    /// Execs `request` and reads its stream to the end (failing after `limit`).
    static func stream(
        _ harness: Harness, _ request: Runtime_V1_ExecRequest, protocols: [String] = StreamProtocols.channel,
        within limit: Duration = .seconds(30),
        interact: @escaping @Sendable (StreamClientConnection, ChannelOutput) async -> Void = { _, _ in }
    ) async throws -> ChannelOutput.Collected {
        let url = try await harness.client.exec(request, timeout: .seconds(30))
        try expect(url.contains("/stream/"), "Exec returned the URL \(url.debugDescription)")
        let what = "exec \(request.cmd.joined(separator: " "))"
        return try await within(limit, "\(what): stream") {
            try await harness.client.channelStream(url: url, protocols: protocols, interact: interact)
        }
    }

    static let execOutput = Check("streaming/exec without tty or stdin: stdout, stderr and the exit status on their channels") { harness in
        try await harness.withPod("stream-exec") { pod in
            let id = try await pod.run("c")
            let failed = try await stream(harness, Runtime_V1_ExecRequest.streamed(id, ["sh", "-c", "printf 'out\\nno newline'; printf 'err\\n' >&2; exit 3"]))
            try expectEqual(failed.subprotocol, StreamProtocols.v5, "the subprotocol chosen from v5, v4")
            try expectEqual(failed.stdoutText, "out\nno newline", "stdout")
            try expectEqual(failed.stderrText, "err\n", "stderr")
            try expectEqual(failed.status, StreamStatus(.exitCode(3)), "status of exit 3 (\(String(decoding: failed.rawStatus, as: UTF8.self)))")
            let ok = try await stream(harness, Runtime_V1_ExecRequest.streamed(id, ["echo", "fine"]))
            try expectEqual(ok.stdoutText, "fine\n", "stdout")
            try expectEqual(ok.stderrText, "", "stderr")
            try expectEqual(ok.status, StreamStatus(.success), "status of exit 0 (\(String(decoding: ok.rawStatus, as: UTF8.self)))")
        }
    }

    static let execV4 = Check("streaming/exec over v4.channel.k8s.io for older clients") { harness in
        try await harness.withPod("stream-v4") { pod in
            let id = try await pod.run("c")
            let result = try await stream(harness, Runtime_V1_ExecRequest.streamed(id, ["sh", "-c", "echo v4; exit 2"]), protocols: [StreamProtocols.v4])
            try expectEqual(result.subprotocol, StreamProtocols.v4, "the subprotocol chosen")
            try expectEqual(result.stdoutText, "v4\n", "stdout")
            try expectEqual(result.status, StreamStatus(.exitCode(2)), "status of exit 2")
        }
    }

    static let execStdinEnd = Check("streaming/exec with stdin: input reaches the command and its end ends it") { harness in
        try await harness.withPod("stream-stdin") { pod in
            let id = try await pod.run("c")
            let result = try await stream(harness, Runtime_V1_ExecRequest.streamed(id, ["sh", "-c", "cat; echo done"], stdin: true)) { connection, _ in
                await connection.send(.stdin, Array("piped ".utf8))
                await connection.send(.stdin, Array("in\n".utf8))
                // v5: the close channel says stdin has ended.
                await connection.send(ChannelFrame.closing(.stdin).encoded)
            }
            try expectEqual(result.stdoutText, "piped in\ndone\n", "stdout")
            try expectEqual(result.status, StreamStatus(.success), "status")
        }
    }

    static let execTtyStdin = Check("streaming/exec with a tty and stdin: input echoed through the terminal") { harness in
        try await harness.withPod("stream-tty") { pod in
            let id = try await pod.run("c")
            let result = try await stream(harness, Runtime_V1_ExecRequest.streamed(id, ["sh"], tty: true, stdin: true)) { connection, output in
                await connection.send(.stdin, Array("echo tty-$((6 * 7))\n".utf8))
                _ = await output.waitForStdout("tty-42\r\n")
                await connection.send(.stdin, Array("exit 4\n".utf8))
            }
            let stdout = result.stdoutText
            try expect(stdout.contains("echo tty-$((6 * 7))"), "the terminal does not echo the input: \(stdout.debugDescription)")
            try expect(stdout.contains("tty-42\r\n"), "no command output with the terminal's CR LF: \(stdout.debugDescription)")
            try expectEqual(result.stderrText, "", "stderr of a tty exec")
            try expectEqual(result.status, StreamStatus(.exitCode(4)), "status of exit 4")
        }
    }

    static let attachStdinOnce = Check("streaming/attach to a container's stdin and stdout; stdin_once ends it") { harness in
        try await harness.withPod("stream-attach") { pod in
            let id = try await pod.run("cat", command: ["cat"]) { config in
                config.stdin = true
                config.stdinOnce = true
            }
            var request = Runtime_V1_AttachRequest()
            request.containerID = id
            request.stdin = true
            request.stdout = true
            request.stderr = true
            let url = try await harness.client.attach(request, timeout: .seconds(30))
            let result = try await within(.seconds(30), "attach stream") {
                try await harness.client.channelStream(url: url) { connection, output in
                    await connection.send(.stdin, Array("hello through attach\n".utf8))
                    _ = await output.waitForStdout("hello through attach\n")
                    await connection.send(ChannelFrame.closing(.stdin).encoded)
                }
            }
            try expectEqual(result.stdoutText, "hello through attach\n", "stdout through attach")
            // The first attached stdin ended: stdin_once closed the container's stdin, cat ended,
            // and with it the container and the stream.
            let status = try await harness.waitFor(id, .containerExited, within: .seconds(10))
            try expectEqual(status.exitCode, 0, "exit code of cat after stdin closed")
            try expectEqual(result.status, StreamStatus(.success), "status at the container's end")
            let log = HostFiles.read(pod.logFile(pod.containerConfig("cat"))) ?? ""
            try expect(log.contains("stdout F hello through attach"), "the container's log: \(log.debugDescription)")
        }
    }

    static let resize = Check("streaming/resize on a tty: stty size follows it") { harness in
        try await harness.withPod("stream-resize") { pod in
            let id = try await pod.run("c")
            let result = try await stream(harness, Runtime_V1_ExecRequest.streamed(id, ["sh"], tty: true, stdin: true)) { connection, output in
                for size in [TerminalSize(width: 100, height: 30), TerminalSize(width: 132, height: 43)] {
                    let from = output.stdoutCount
                    await connection.send(.resize, size.encoded)
                    await connection.send(.stdin, Array("stty size\n".utf8))
                    _ = await output.waitForStdout("\(size.height) \(size.width)\r\n", after: from)
                }
                await connection.send(.stdin, Array("exit\n".utf8))
            }
            let stdout = result.stdoutText
            try expect(stdout.contains("30 100\r\n"), "stty size after a resize to 100x30: \(stdout.debugDescription)")
            try expect(stdout.contains("43 132\r\n"), "stty size after a resize to 132x43: \(stdout.debugDescription)")
            try expectEqual(result.status, StreamStatus(.success), "status")
        }
    }
}

/// Runs `body`, failing the check when it has not ended after `limit` (then it is cancelled).
func within<T: Sendable>(
    _ limit: Duration, _ what: String, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else {
            throw CheckFailure(reason: "\(what): no end within \(limit)")
        }
        return value
    }
}
