// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "vigil",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "vigil", targets: ["vigil"]),
        .library(name: "VigilCore", targets: ["VigilCore"]),
        .library(name: "VigilPostgres", targets: ["VigilPostgres"]),
        .library(name: "VigilRules", targets: ["VigilRules"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: ["FullFoundation"]),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .target(name: "VigilCore"),
        .target(
            name: "VigilPostgres",
            dependencies: ["CLibPQ", .product(name: "Logging", package: "swift-log"), "VigilCore"]
        ),
        .target(
            name: "VigilSchema",
            dependencies: ["VigilPostgres"],
            path: "sql",
            sources: ["Schema.swift"],
            resources: [.embedInCode("migrations")]
        ),
        .target(
            name: "VigilRules",
            dependencies: ["VigilCore", "CZlib", .product(name: "Yams", package: "Yams")]
        ),
        .target(
            name: "VigilEnrichment",
            dependencies: [
                "VigilCore", "VigilPostgres", "VigilRules",
                "CZlib",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .target(
            name: "VigilQueue",
            dependencies: ["VigilCore", "VigilPostgres", .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "VigilWorker",
            dependencies: [
                "VigilCore", "VigilPostgres", "VigilQueue", "VigilRules",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                "VigilLLM", "VigilEnrichment",
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),
        .target(
            name: "VigilWebhooks",
            dependencies: [
                "VigilCore", "VigilPostgres",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),
        .target(
            name: "VigilObservability",
            dependencies: [
                "VigilCore", "VigilPostgres",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "VigilReview",
            dependencies: [
                "VigilCore", "VigilPostgres",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "VigilCoordinator",
            dependencies: [
                "VigilCore", "VigilPostgres", "VigilQueue", "VigilSchema", "VigilReview",
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                "VigilObservability",
            ]
        ),
        .target(
            name: "VigilSimulator",
            dependencies: [
                "VigilCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "VigilLLM",
            dependencies: [
                "VigilCore", "VigilPostgres",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),
        .executableTarget(
            name: "vigil",
            dependencies: [
                "VigilCore",
                "VigilPostgres",
                "VigilSchema",
                "VigilRules",
                "VigilEnrichment",
                "VigilQueue",
                "VigilWorker",
                "VigilCoordinator",
                "VigilSimulator",
                "VigilLLM",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                "VigilWebhooks",
                "VigilObservability",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]
        ),
        // What the database tests share: scoped cleanup that is awaited (withCleanup).
        .target(name: "VigilTestSupport", path: "Tests/VigilTestSupport"),
        .testTarget(name: "VigilCoreTests", dependencies: ["VigilCore"], exclude: ["Fixtures"]),
        .executableTarget(name: "HygieneBenchmark", dependencies: ["VigilCore"], path: "benchmarks/HygieneBenchmark"),
        .executableTarget(name: "RoundTripBenchmark", dependencies: ["VigilPostgres", "VigilCore", "CLibPQ"], path: "benchmarks/RoundTripBenchmark"),
        .testTarget(name: "VigilPostgresTests", dependencies: ["VigilPostgres", "VigilSchema", "VigilCore", "VigilTestSupport"]),
        .testTarget(name: "VigilRulesTests", dependencies: ["VigilRules", "VigilCore"], exclude: ["Fixtures"]),
        .testTarget(
            name: "VigilEnrichmentTests", dependencies: ["VigilEnrichment", "VigilCore", "VigilPostgres", "VigilSchema", "VigilRules", "VigilTestSupport"]),
        .testTarget(name: "VigilQueueTests", dependencies: ["VigilQueue", "VigilCore", "VigilPostgres", "VigilSchema"]),
        .executableTarget(
            name: "LLMLimiterBenchmark",
            dependencies: [
                "VigilLLM", "VigilCore", "VigilPostgres", "VigilSchema", "VigilSimulator",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "benchmarks/LLMLimiterBenchmark",
            exclude: ["README.md"]
        ),
        .testTarget(
            name: "VigilLLMTests",
            dependencies: [
                "VigilLLM", "VigilCore", "VigilPostgres", "VigilSchema", "VigilSimulator", "VigilTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "VigilWorkerTests",
            dependencies: [
                "VigilWorker", "VigilQueue", "VigilCore", "VigilPostgres", "VigilSchema", "VigilLLM", "VigilEnrichment", "VigilSimulator",
                "VigilWebhooks", "VigilObservability", "VigilTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "VigilDeployTests",
            dependencies: [
                "VigilCore", "VigilPostgres", "VigilSchema", "VigilTestSupport",
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .testTarget(
            name: "VigilCoordinatorTests",
            dependencies: [
                "VigilCoordinator", "VigilQueue", "VigilCore", "VigilPostgres", "VigilSchema", "VigilReview", "VigilTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "VigilReviewTests", dependencies: ["VigilReview", "VigilCore", "VigilPostgres", "VigilSchema", "VigilWebhooks", "VigilTestSupport"]),
        .testTarget(
            name: "VigilSimulatorTests",
            dependencies: [
                "VigilSimulator", "VigilCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(name: "VigilDemoTests", dependencies: ["VigilPostgres"]),
    ]
)
