#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import VigilCore

/// `vigil rules bench`: throughput of a ``RuleEngine`` over events replicated to a target count, on one thread.
///
/// Two figures: evaluation of already-parsed events (what the SQLite oracle is compared with: its table is
/// loaded before its queries are timed), and parsing JSON text plus evaluation.
public struct RuleBenchmark: Sendable {
    public struct Result: Sendable {
        public var events: Int
        public var hits: Int
        /// Wall-clock seconds.
        public var evaluateSeconds: Double
        /// CPU seconds of the evaluating thread (robust when other processes share the cores).
        public var evaluateCPUSeconds: Double
        public var parseAndEvaluateSeconds: Double
        public var parseAndEvaluateCPUSeconds: Double
        public var maxRSSMegabytes: Double

        public var eventsPerSecond: Double { Double(events) / evaluateSeconds }
        public var eventsPerCPUSecond: Double { Double(events) / evaluateCPUSeconds }
        public var parseAndEvaluateEventsPerSecond: Double { Double(events) / parseAndEvaluateSeconds }
        public var parseAndEvaluateEventsPerCPUSecond: Double { Double(events) / parseAndEvaluateCPUSeconds }

        /// One JSON object with every figure.
        public var json: String {
            let object: JSONValue = [
                "events": .int(Int64(events)), "hits": .int(Int64(hits)),
                "evaluate_seconds": .double(evaluateSeconds), "events_per_second": .double(eventsPerSecond),
                "evaluate_cpu_seconds": .double(evaluateCPUSeconds), "events_per_cpu_second": .double(eventsPerCPUSecond),
                "parse_and_evaluate_seconds": .double(parseAndEvaluateSeconds),
                "parse_and_evaluate_events_per_second": .double(parseAndEvaluateEventsPerSecond),
                "parse_and_evaluate_events_per_cpu_second": .double(parseAndEvaluateEventsPerCPUSecond),
                "max_rss_mb": .double(maxRSSMegabytes),
            ]
            return object.jsonText
        }
    }

    public var runner: RuleTestRunner

    public init(runner: RuleTestRunner) { self.runner = runner }

    /// Replicates the events of `files` to at least `count` and times evaluating them, `repeats` times each with a
    /// fresh engine; the fastest pass of each kind is reported (the usual defence against other load on the machine).
    /// - Throws: ``CloudTrailReader/ReadError`` for an unreadable file.
    public func run(files: [String], count: Int, repeats: Int = 1) throws(CloudTrailReader.ReadError) -> Result {
        var distinct: [JSONValue] = []
        for file in files { distinct += try CloudTrailReader.events(path: file) }
        guard !distinct.isEmpty else { throw CloudTrailReader.ReadError(file: files.first ?? "-", message: "no events") }
        let copies = (count + distinct.count - 1) / distinct.count
        let texts = distinct.map { Array($0.jsonText.utf8) }
        let parser = JSONParser(duplicateKeys: .lastWins)
        var best = Result(events: copies * distinct.count, hits: 0, evaluateSeconds: .infinity, evaluateCPUSeconds: .infinity,
            parseAndEvaluateSeconds: .infinity, parseAndEvaluateCPUSeconds: .infinity, maxRSSMegabytes: 0)
        for _ in 0..<max(1, repeats) {
            var hits = 0
            let (wall, cpu) = measure {
                var engine = makeEngine()
                for _ in 0..<copies {
                    for event in distinct { hits += engine.evaluate(event: event).count }
                }
            }
            var parsedHits = 0
            let (parseWall, parseCPU) = measure {
                var engine = makeEngine()
                for _ in 0..<copies {
                    for text in texts {
                        guard let event = try? parser.parse(text) else { continue }
                        parsedHits += engine.evaluate(event: event).count
                    }
                }
            }
            precondition(parsedHits == hits, "parsed events must give the same hits")
            best.hits = hits
            best.evaluateSeconds = min(best.evaluateSeconds, wall)
            best.evaluateCPUSeconds = min(best.evaluateCPUSeconds, cpu)
            best.parseAndEvaluateSeconds = min(best.parseAndEvaluateSeconds, parseWall)
            best.parseAndEvaluateCPUSeconds = min(best.parseAndEvaluateCPUSeconds, parseCPU)
        }
        best.maxRSSMegabytes = Self.maxRSSMegabytes()
        return best
    }

    private func makeEngine() -> RuleEngine {
        RuleEngine(ruleSet: runner.ruleSet, builtins: runner.builtins ? BuiltinDetectors() : nil)
    }

    /// Wall-clock and thread CPU seconds of `body`.
    private func measure(_ body: () -> Void) -> (wall: Double, cpu: Double) {
        let cpu = Self.threadCPUSeconds()
        let wall = ContinuousClock().measure(body)
        return (wall.seconds, Self.threadCPUSeconds() - cpu)
    }

    /// CPU time consumed by the calling thread.
    static func threadCPUSeconds() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) * 1e-9
    }

    /// The process's peak resident set size: `VmHWM` on Linux (getrusage's `ru_maxrss` would include the peak of a
    /// parent that spawned this process, since Linux keeps it across `execve`).
    static func maxRSSMegabytes() -> Double {
        #if os(Linux)
        if let file = fopen("/proc/self/status", "r") {
            defer { fclose(file) }
            var line = [CChar](repeating: 0, count: 256)
            while fgets(&line, Int32(line.count), file) != nil {
                let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                if text.hasPrefix("VmHWM:"), let kilobytes = Double(text.dropFirst(6).filter(\.isNumber)) { return kilobytes / 1024 }
            }
        }
        #endif
        var usage = rusage()
        #if canImport(Glibc)
        getrusage(RUSAGE_SELF.rawValue, &usage)
        #else
        getrusage(RUSAGE_SELF, &usage)
        #endif
        #if canImport(Darwin)
        return Double(usage.ru_maxrss) / 1_048_576
        #else
        return Double(usage.ru_maxrss) / 1024
        #endif
    }
}
