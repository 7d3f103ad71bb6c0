// swift-tools-version:6.0
import PackageDescription

/// berthd is a long-lived daemon whose idle memory is mostly pages of its own binary, so it is
/// linked for a small resident set (README "Memory"):
/// - lld packs the PIE's relative relocations (`DT_RELR`): 2.4 MB of `.rela.dyn` is otherwise
///   read at every start;
/// - no dynamic symbol table beyond what the shared libraries need (the static Swift runtime
///   asks for `-export-dynamic`, which exports every Swift symbol of the program);
/// - the functions that start-up and a node agent's polling run are laid out together
///   (`berthd.order`, written by `scripts/symbol-order.sh`), so the kernel maps a few
///   contiguous pages of code instead of 64 KiB windows scattered over 21 MB;
/// - in release builds, whose Swift runtime is static (`make release`), the C++ runtime and
///   libgcc linked statically too (`LinkStatic/libstdc++.so` is a linker script naming
///   `libstdc++.a`): no shared library berthd then loads uses them, so no second copy exists.
///   A debug build's shared Swift runtime needs the shared libstdc++, so it keeps it.
let berthdSources = String(#filePath.dropLast("Package.swift".count)) + "Sources/berthd"
let berthdLinkFlags = [
    "-use-ld=lld",
    "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs",
    "-Xlinker", "--no-export-dynamic",
    "-Xlinker", "--symbol-ordering-file=\(berthdSources)/berthd.order",
    // Symbols the code no longer has (the file is regenerated now and then) are skipped.
    "-Xlinker", "--no-warn-symbol-ordering",
]
let berthdReleaseLinkFlags = ["-L", "\(berthdSources)/LinkStatic", "-Xclang-linker", "-static-libgcc"]

// Small library targets, each named for what it holds; executables stay thin.
let package = Package(
    name: "Berth",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "berthd", targets: ["berthd"]),
        .executable(name: "berthctl", targets: ["berthctl"]),
        .executable(name: "berth-conformance", targets: ["BerthConformance"]),
        .executable(name: "berth-testimages", targets: ["TestImages"]),
        .executable(name: "berth-guest", targets: ["BerthGuestTool"]),
        .library(name: "BerthClient", targets: ["BerthClient"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // C: system libraries and the few functions Swift cannot call directly.
        .systemLibrary(name: "COpenSSL", path: "Shims/COpenSSL"),
        .systemLibrary(name: "CArchive", path: "Shims/CArchive"),
        .systemLibrary(name: "CZlib", path: "Shims/CZlib"),
        .systemLibrary(name: "CZstd", path: "Shims/CZstd"),
        .systemLibrary(name: "CSeccomp", path: "Shims/CSeccomp"),
        .systemLibrary(name: "CCap", path: "Shims/CCap"),
        .systemLibrary(name: "CXattr", path: "Shims/CXattr"),
        .systemLibrary(name: "CLinux", path: "Shims/CLinux"),
        .target(name: "CSpawn", path: "Shims/CSpawn"),

        // Foundations shared by every module.
        .target(name: "BerthBase", dependencies: [
            "COpenSSL",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "CRI", dependencies: [
            .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        ], exclude: ["Proto"]),

        // A small blocking HTTP/1.1 client (POSIX sockets, OpenSSL) for registry transfers.
        .target(name: "HTTPClient", dependencies: ["BerthBase", "COpenSSL"]),

        // Images: pure policy first, then mechanism.
        .target(name: "ImageReference", dependencies: ["BerthBase"]),
        .target(name: "OCIImage", dependencies: ["BerthBase"]),
        .target(name: "ContentStore", dependencies: [
            "BerthBase", "OCIImage",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "Registry", dependencies: [
            "BerthBase", "OCIImage", "ImageReference", "ContentStore", "HTTPClient",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "Unpack", dependencies: ["BerthBase", "CXattr", "CZlib", "CZstd"]),
        .target(name: "Snapshots", dependencies: ["BerthBase", "OCIImage"]),
        .target(name: "ImageService", dependencies: [
            "BerthBase", "CRI", "ImageReference", "OCIImage", "ContentStore", "Registry",
            "Unpack", "Snapshots",
            .product(name: "Logging", package: "swift-log"),
        ]),

        // Runtime.
        .target(name: "RuntimeSpec"),
        .target(name: "RuntimeState", dependencies: [
            "BerthBase", "CRI",
            .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "Spawn", dependencies: ["BerthBase", "CSpawn"]),
        .target(name: "ShimPlan", dependencies: ["BerthBase", "CSpawn", "Spawn"]),
        .target(name: "StreamProtocol"),
        .target(name: "WebSocketMessages", dependencies: [
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOWebSocket", package: "swift-nio"),
        ]),
        .target(name: "NativeRuntime", dependencies: [
            "BerthBase", "CLinux", "CXattr", "RuntimeSpec", "RuntimeState", "ShimPlan",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "ContainerPolicy", dependencies: [
            "BerthBase", "CRI", "OCIImage", "RuntimeSpec", "ShimPlan",
        ]),
        .target(name: "Seccomp", dependencies: ["BerthBase", "RuntimeSpec", "CSeccomp"]),
        .target(name: "Cgroups", dependencies: ["BerthBase", "CLinux", "RuntimeSpec"]),
        .target(name: "Network", dependencies: ["BerthBase", "CSpawn", "Spawn"]),
        .target(name: "RuntimeService", dependencies: [
            "BerthBase", "CRI", "Cgroups", "ContainerPolicy", "ImageService", "NativeRuntime", "Network", "OCIImage", "RuntimeSpec",
            "RuntimeState", "Seccomp", "ShimPlan", "Snapshots", "StreamProtocol", "CLinux",
            .product(name: "Logging", package: "swift-log"),
        ]),

        // The daemon: configuration, transport, wiring.
        .target(name: "BerthConfig", dependencies: [
            "BerthBase", "Network", "OCIImage", "Registry",
            .product(name: "TOMLKit", package: "TOMLKit"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "BerthServer", dependencies: [
            "BerthBase", "WebSocketMessages",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOWebSocket", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "BerthDaemon", dependencies: [
            "BerthBase", "BerthConfig", "BerthServer", "CRI", "ImageService", "RuntimeService", "StreamProtocol",
            .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "berthd", dependencies: [
            "BerthDaemon", "BerthConfig",
            .product(name: "Logging", package: "swift-log"),
        ], exclude: ["berthd.order", "LinkStatic"], linkerSettings: [
            .unsafeFlags(berthdLinkFlags),
            .unsafeFlags(berthdReleaseLinkFlags, .when(configuration: .release)),
        ]),

        // Client side.
        .target(name: "BerthClient", dependencies: [
            "BerthBase", "CRI", "StreamProtocol", "WebSocketMessages",
            .product(name: "NIOWebSocket", package: "swift-nio"),
            .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        .executableTarget(name: "berthctl", dependencies: [
            "BerthBase", "BerthClient", "CRI", "StreamProtocol",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Yams", package: "Yams"),
            .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        ]),

        // Conformance harness and its offline test images.
        .executableTarget(name: "BerthConformance", dependencies: [
            "BerthBase", "BerthClient", "CRI", "HTTPClient", "StreamProtocol",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        ], path: "conformance/BerthConformance"),
        .executableTarget(name: "TestImages", dependencies: [
            "BerthBase", "OCIImage", "CArchive",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], path: "conformance/TestImages"),

        // The QEMU guest: kernel, initramfs and system disk built by content, booted with a
        // control channel; the VM runtime handler's machinery and `make test-guest`'s.
        .target(name: "Guest", dependencies: ["BerthBase", "Spawn"]),
        .executableTarget(name: "BerthGuestTool", dependencies: [
            "BerthBase", "Guest",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], path: "Sources/berth-guest"),

        // Tests.
        .testTarget(name: "BerthBaseTests", dependencies: ["BerthBase"]),
        .testTarget(name: "ImageReferenceTests", dependencies: ["ImageReference"]),
        .testTarget(name: "OCIImageTests", dependencies: ["OCIImage"]),
        .testTarget(name: "ContentStoreTests", dependencies: ["ContentStore", "BerthBase", "OCIImage"]),
        .testTarget(name: "HTTPClientTests", dependencies: ["HTTPClient", "BerthBase"], exclude: ["Fixtures"]),
        .testTarget(name: "RegistryTests", dependencies: [
            "Registry", "HTTPClient", "ContentStore", "ImageReference", "OCIImage", "BerthBase",
            .product(name: "Logging", package: "swift-log"),
        ], exclude: ["Fixtures"]),
        .target(name: "TestSupport", dependencies: ["CArchive"], path: "Tests/TestSupport"),
        .testTarget(name: "UnpackTests", dependencies: ["Unpack", "BerthBase", "CArchive", "CXattr", "TestSupport"]),
        .testTarget(name: "SnapshotsTests", dependencies: ["Snapshots", "BerthBase", "CXattr", "TestSupport"]),
        .testTarget(name: "BerthConfigTests", dependencies: [
            "BerthConfig", "BerthBase", "Network", "OCIImage", "Registry",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "BerthServerTests", dependencies: [
            "BerthServer", "BerthClient", "BerthBase", "CRI",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "IntegrationTests", dependencies: [
            "BerthClient", "BerthBase", "CRI", "Registry", "ImageReference", "OCIImage", "TestSupport", "StreamProtocol",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .testTarget(name: "StreamProtocolTests", dependencies: ["StreamProtocol"]),
        .testTarget(name: "ShimTests", dependencies: ["ShimPlan", "BerthBase", "TestSupport"]),
        .testTarget(name: "ContainerPolicyTests", dependencies: [
            "ContainerPolicy", "BerthBase", "CRI", "OCIImage", "RuntimeSpec", "ShimPlan",
        ]),
        .testTarget(name: "SeccompTests", dependencies: ["Seccomp", "RuntimeSpec", "BerthBase", "CSeccomp"]),
        .testTarget(name: "NetworkTests", dependencies: ["Network", "BerthBase", "TestSupport"]),
        .testTarget(name: "CgroupsTests", dependencies: ["Cgroups", "ContainerPolicy", "RuntimeSpec", "BerthBase", "TestSupport"]),
        .testTarget(name: "RuntimeServiceTests", dependencies: ["RuntimeService", "CRI", "Seccomp", "RuntimeSpec", "BerthBase"]),
        .testTarget(name: "GuestTests", dependencies: [
            "Guest", "BerthGuestTool", "BerthBase", "TestSupport",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "BerthctlTests", dependencies: ["berthctl", "BerthConformance", "BerthBase", "CRI", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
