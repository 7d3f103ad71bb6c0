import Foundation
import StreamProtocol
import Testing

@Suite struct ChannelFrameTests {
    @Test func framesCarryTheirChannelFirst() {
        let frame = ChannelFrame(.stdout, Array("hi\n".utf8))
        #expect(frame.encoded == [1, 0x68, 0x69, 0x0a])
        #expect(ChannelFrame(decoding: frame.encoded) == frame)
        #expect(ChannelFrame(decoding: [2]) == ChannelFrame(.stderr, []))
        #expect(ChannelFrame(decoding: []) == nil)
        #expect(ChannelFrame.closing(.stdin).encoded == [255, 0])
    }

    @Test func resizeIsKubernetesJSON() throws {
        let size = TerminalSize(width: 120, height: 40)
        let text = String(decoding: size.encoded, as: UTF8.self)
        #expect(text == #"{"Width":120,"Height":40}"#)
        #expect(TerminalSize(decoding: Array(#"{"Width": 80, "Height": 24}"#.utf8)) == TerminalSize(width: 80, height: 24))
        #expect(TerminalSize(decoding: Array("nope".utf8)) == nil)
    }

    @Test func protocolNegotiationPicksTheClientsFirstKnown() {
        let supported = StreamProtocols.channel
        #expect(StreamProtocols.negotiate(["v5.channel.k8s.io, v4.channel.k8s.io"], supported: supported) == "v5.channel.k8s.io")
        #expect(StreamProtocols.negotiate(["channel.k8s.io", "v4.channel.k8s.io,v5.channel.k8s.io"], supported: supported) == "v4.channel.k8s.io")
        #expect(StreamProtocols.negotiate(["base64.channel.k8s.io"], supported: supported) == nil)
        #expect(StreamProtocols.negotiate([], supported: supported) == nil)
    }

    @Test func portForwardFraming() {
        #expect(PortForwardFraming.dataChannel(0) == 0 && PortForwardFraming.errorChannel(0) == 1)
        #expect(PortForwardFraming.dataChannel(2) == 4 && PortForwardFraming.errorChannel(2) == 5)
        #expect(PortForwardFraming.portPrefix(8080) == [0x90, 0x1f])
        #expect(PortForwardFraming.port(fromPrefix: [0x90, 0x1f, 9]) == 8080)
        #expect(PortForwardFraming.port(fromPrefix: [1]) == nil)
    }
}

@Suite struct StreamStatusTests {
    private func object(_ status: StreamStatus) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(status.encoded)) as? [String: Any])
    }

    @Test func successIsAStatusObject() throws {
        #expect(String(decoding: StreamStatus.exit(0).encoded, as: UTF8.self) == #"{"metadata":{},"status":"Success"}"#)
        #expect(StreamStatus(decoding: StreamStatus.exit(0).encoded) == StreamStatus(.success))
    }

    @Test func exitCodeTravelsAsACause() throws {
        let status = StreamStatus.exit(3)
        let json = try object(status)
        #expect(json["status"] as? String == "Failure")
        #expect(json["reason"] as? String == "NonZeroExitCode")
        let causes = try #require((json["details"] as? [String: Any])?["causes"] as? [[String: Any]])
        #expect(causes.count == 1)
        #expect(causes[0]["reason"] as? String == "ExitCode")
        #expect(causes[0]["message"] as? String == "3")
        #expect(StreamStatus(decoding: status.encoded)?.exitCode == 3)
    }

    @Test func otherFailuresKeepTheirMessage() throws {
        let status = StreamStatus(.failure("container abc is not running"))
        let json = try object(status)
        #expect(json["status"] as? String == "Failure")
        #expect(json["message"] as? String == "container abc is not running")
        #expect(StreamStatus(decoding: status.encoded) == status)
        #expect(status.exitCode == 1)
        #expect(StreamStatus(decoding: Array("{}".utf8)) == nil)
    }
}
