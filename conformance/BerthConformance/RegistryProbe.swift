import BerthBase
import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

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
        guard let url = URL(string: "http://\(registry)/v2/\(repository)/manifests/\(reference)") else {
            throw CheckFailure(reason: "registry \(registry): bad manifest URL for \(repository):\(reference)")
        }
        var request = URLRequest(url: url, timeoutInterval: 30)
        request.setValue(Self.accept, forHTTPHeaderField: "Accept")
        let (body, response): (Data, URLResponse)
        do {
            (body, response) = try await URLSession.shared.data(for: request)
        } catch {
            throw CheckFailure(reason: "registry \(url): \(error.localizedDescription)")
        }
        guard let http = response as? HTTPURLResponse, http.statusCode == 200 else {
            let status = (response as? HTTPURLResponse)?.statusCode ?? 0
            throw CheckFailure(reason: "registry \(url): HTTP \(status) (was the test image pushed?)")
        }
        // The digest of the bytes served is the truth; the header only confirms it.
        let digest = SHA256Hasher.digest(body).description
        if let header = http.value(forHTTPHeaderField: "Docker-Content-Digest"), header != digest {
            throw CheckFailure(reason: "registry \(url): Docker-Content-Digest \(header) but the body hashes to \(digest)")
        }
        return digest
    }
}
