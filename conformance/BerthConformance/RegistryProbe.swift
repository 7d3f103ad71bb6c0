import BerthBase
import HTTPClient

/// Asks the test registry directly what it serves, so checks can compare berthd's answers
/// with the truth rather than with berthd's own earlier answers.
struct RegistryProbe: Sendable {
    let registry: String

    /// The media types berthd accepts; the registry answers with the stored form of the
    /// manifest (an older registry converts when schema 2 is not asked for).
    static let accept = [
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    ].joined(separator: ", ")

    /// The digest of the manifest (or index) `repository:reference` resolves to.
    func manifestDigest(repository: String, reference: String) async throws -> String {
        let url = "http://\(registry)/v2/\(repository)/manifests/\(reference)"
        let request = TransferRequest(url: url, headers: ["Accept: \(Self.accept)"])
        let response = try await runBlocking(name: "registry-probe") { flag in
            do throws(TransferError) {
                return try transfer(request, options: TransferOptions(), flag: flag)
            } catch {
                throw CheckFailure(reason: "registry \(url): \(error)")
            }
        }
        guard response.status == 200 else {
            throw CheckFailure(reason: "registry \(url): HTTP \(response.status) (was the test image pushed?)")
        }
        // The digest of the bytes served is the truth; the header only confirms it.
        let digest = SHA256Hasher.digest(response.body).description
        if let header = response.header("Docker-Content-Digest"), header != digest {
            throw CheckFailure(reason: "registry \(url): Docker-Content-Digest \(header) but the body hashes to \(digest)")
        }
        return digest
    }
}
