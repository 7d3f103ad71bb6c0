import BerthBase

extension Platform {
    /// Parses `os/architecture[/variant]` (`linux/amd64`, `linux/arm64/v8`), normalised as
    /// containerd does, so `linux/x86_64` is `linux/amd64` and `linux/arm64/v8` is `linux/arm64`.
    public init(parsing text: String) throws(BerthError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard (2...3).contains(parts.count), parts.allSatisfy({ !$0.isEmpty }) else {
            throw BerthError(.invalidArgument, "invalid platform \"\(text)\": want os/architecture[/variant], like \"linux/amd64\" or \"linux/arm64/v8\"")
        }
        for part in parts where !part.utf8.allSatisfy(Self.isPlatformCharacter) {
            throw BerthError(.invalidArgument, "invalid platform \"\(text)\": \"\(part)\" has characters other than letters, digits, '_', '.' and '-'")
        }
        self = Platform(os: parts[0], architecture: parts[1], variant: parts.count == 3 ? parts[2] : nil).normalized
    }

    private static func isPlatformCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "-"):
            true
        default:
            false
        }
    }

    /// The canonical spelling of this platform, with containerd's architecture aliases and
    /// default variants, so two spellings of one machine compare equal.
    public var normalized: Platform {
        var os = self.os.lowercased()
        if os == "macos" { os = "darwin" }
        var architecture = self.architecture.lowercased()
        var variant = self.variant?.lowercased()
        switch architecture {
        case "i386", "i686", "x86": architecture = "386"; variant = nil
        case "x86_64", "x86-64", "amd64":
            architecture = "amd64"
            if variant == "v1" { variant = nil }
        case "aarch64", "arm64":
            architecture = "arm64"
            if variant == "8" || variant == "v8" { variant = nil }
        case "armhf": architecture = "arm"; variant = "v7"
        case "armel": architecture = "arm"; variant = "v6"
        case "arm":
            // An arm image without a variant is built for v7, as containerd assumes.
            switch variant {
            case nil, "7": variant = "v7"
            case "5", "6", "8": variant = "v" + (variant ?? "")
            default: break
            }
        default: break
        }
        var result = Platform(os: os, architecture: architecture, variant: variant)
        result.osVersion = osVersion
        result.osFeatures = osFeatures
        return result
    }
}

/// Chooses the manifest for `platform` from an index: os and architecture must match (after
/// normalisation); an exact variant is preferred over an older compatible one (arm v7 runs v6);
/// attestation manifests are never chosen. The error lists what the index offers.
public func selectManifest(from index: Index, for platform: Platform) throws(BerthError) -> Descriptor {
    let wanted = platform.normalized
    var best: (descriptor: Descriptor, rank: Int)?
    for descriptor in index.manifests where !isAttestation(descriptor) {
        guard MediaType.isManifest(descriptor.mediaType) || MediaType.isIndex(descriptor.mediaType) else { continue }
        guard let rank = matchRank(descriptor.platform, wanted: wanted) else { continue }
        if rank > (best?.rank ?? -1) { best = (descriptor, rank) }
    }
    if let best { return best.descriptor }

    let available = index.manifests.filter { !isAttestation($0) }.compactMap { $0.platform?.description }
    throw BerthError(.notFound, "no manifest for platform \(wanted) in index (available: \(available.isEmpty ? "none" : available.joined(separator: ", ")))")
}

/// BuildKit's provenance and SBOM manifests: marked by an annotation and the platform unknown/unknown.
private func isAttestation(_ descriptor: Descriptor) -> Bool {
    if descriptor.annotations?["vnd.docker.reference.type"] != nil { return true }
    if let platform = descriptor.platform, platform.os == "unknown", platform.architecture == "unknown" { return true }
    return false
}

/// How well a manifest's platform suits `wanted`, higher is better; nil when it cannot run.
private func matchRank(_ platform: Platform?, wanted: Platform) -> Int? {
    // An entry without a platform is taken as containerd takes it: usable, but the last choice.
    guard let platform = platform?.normalized else { return 0 }
    guard platform.os == wanted.os, platform.architecture == wanted.architecture else { return nil }
    if platform.variant == wanted.variant { return 1000 }
    if platform.variant == nil { return 500 }
    // Only arm has an ordered family of variants, each able to run the older ones.
    if wanted.architecture == "arm", let have = armLevel(platform.variant), let want = armLevel(wanted.variant), have < want {
        return 100 + have
    }
    return nil
}

private func armLevel(_ variant: String?) -> Int? {
    guard let variant, variant.hasPrefix("v") else { return nil }
    return Int(variant.dropFirst())
}
