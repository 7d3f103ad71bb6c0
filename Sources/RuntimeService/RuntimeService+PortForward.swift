import BerthBase
import CRI
import Foundation
import Glibc
import NativeRuntime
import RuntimeState
import ShimPlan
import StreamProtocol
import Synchronization

extension RuntimeService {
    /// CRI `PortForward`: the request is checked here; ports are relayed once the URL is used.
    public func checkPortForward(_ request: Runtime_V1_PortForwardRequest) async throws(BerthError) {
        _ = try await readySandbox(request.podSandboxID)
        for port in request.port where !(1...65535).contains(port) {
            throw BerthError(.invalidArgument, "port forward: port \(port) out of range")
        }
    }

    /// Relays each requested port: data on channel 2i, errors on 2i+1, both opened with
    /// the port's two little-endian bytes. The connection to 127.0.0.1:port is made inside
    /// the pod's network namespace.
    public func streamPortForward(podSandboxID: String, ports: [UInt16], _ connection: StreamConnection) async {
        let sandbox: SandboxRecord
        do throws(BerthError) {
            sandbox = try await readySandbox(podSandboxID)
        } catch {
            return
        }
        guard let infra = sandbox.infra, !ports.isEmpty else { return }
        var sockets: [Int32?] = []
        for (index, port) in ports.enumerated() {
            let prefix = PortForwardFraming.portPrefix(port)
            _ = await connection.send(ChannelFrame(channel: PortForwardFraming.dataChannel(index), payload: prefix).encoded)
            _ = await connection.send(ChannelFrame(channel: PortForwardFraming.errorChannel(index), payload: prefix).encoded)
            do throws(BerthError) {
                sockets.append(try await StreamFds.connectInNetworkNamespace(pid: infra.pid, port: port))
            } catch {
                sockets.append(nil)
                _ = await connection.send(ChannelFrame(channel: PortForwardFraming.errorChannel(index), payload: Array(error.message.utf8)).encoded)
            }
        }
        let writers: [Int32?] = sockets.map { fd in fd.flatMap { try? StreamFds.duplicate($0) } }
        let stop = CancellationFlag()
        let readers = sockets.enumerated().map { index, fd in
            Task {
                guard let fd else { return }
                for await chunk in StreamFds.chunks(fd, stop: stop) {
                    _ = await connection.send(ChannelFrame(channel: PortForwardFraming.dataChannel(index), payload: chunk).encoded)
                }
            }
        }
        let input = Task {
            for await message in connection.messages {
                guard let frame = ChannelFrame(decoding: message), frame.channel % 2 == 0 else { continue }
                let index = Int(frame.channel / 2)
                guard index < writers.count, let fd = writers[index] else { continue }
                _ = await StreamFds.write(fd, frame.payload)
            }
            for fd in writers.compactMap({ $0 }) { shutdown(fd, Int32(SHUT_RDWR)) }
        }
        // Ends when every target connection has closed (or the client left, which closes them).
        for reader in readers { await reader.value }
        input.cancel()
        for fd in writers.compactMap({ $0 }) {
            shutdown(fd, Int32(SHUT_RDWR))
            close(fd)
        }
    }
}
