import VigilCore

extension TriageTimeline {
    /// Where one alert's time went from its ingest commit to its verdict commit, step by step, in milliseconds.
    ///
    /// The steps add up to ``latency``. Two are time inside something outside Vigil: ``llmWire`` (the provider's
    /// answers on the wire) and ``tools`` (the investigation tools' queries); everything else is the system's
    /// ``overhead``, of which ``slotWait`` is queueing (the alert waited for one of its worker's job slots) and the
    /// rest is per-alert work and hand-offs (``overheadWithoutSlotWait``).
    public struct Breakdown: Sendable, Hashable {
        /// Ingest commit → verdict commit.
        public var latency: Double
        /// Ingest commit → the claim loop had room (zero when it had room already).
        public var slotWait: Double
        /// From the later of the ingest commit and the claim loop having room, to the worker's listener reading the
        /// notification that woke the claim loop (the ingest's WAL flush and the notification's delivery); zero when
        /// no notification came in between (the loop claimed on room or on its poll).
        public var notify: Double
        /// From then to the claim statement sent: the claim loop's wake-up.
        public var wake: Double
        /// The claim statement (its round trip, the alert loaded with it) and decoding its rows.
        public var claim: Double
        /// The claimed job's task starting.
        public var dispatch: Double
        /// Model calls' time on the wire.
        public var llmWire: Double
        /// Model calls waiting for the cluster's rate limiter or the worker's concurrency cap.
        public var llmAdmission: Double
        /// Encoding model requests and decoding their answers.
        public var llmCodec: Double
        /// Settling rate-limit permits after answers, and the rest of the calls (backoff between retries).
        public var llmOther: Double
        /// Investigation tools (per turn, first start to last end).
        public var tools: Double
        /// The AI path's own work between calls and tools (sanitising, prompts, validation).
        public var agent: Double
        /// The step outside the AI path: waiting for the rule path, the merge, building the verdict record.
        public var stepOther: Double
        /// Step end → the completion writer took the result (the queue behind an earlier batch's write).
        public var writerQueue: Double
        /// The writer took the result → the verdict's transaction began (encoding the batch, a connection, sending).
        public var writeSend: Double
        /// The verdict's transaction: its statements and the commit (WAL flush).
        public var commit: Double

        /// Everything but time inside the provider and the tools.
        public var overhead: Double { latency - llmWire - tools }
        public var overheadWithoutSlotWait: Double { overhead - slotWait }

        /// The steps in order, with the names the benchmark reports them under.
        public var steps: [(name: String, milliseconds: Double)] {
            [
                ("slot_wait", slotWait), ("notify", notify), ("wake", wake), ("claim", claim), ("dispatch", dispatch), ("llm_wire", llmWire),
                ("llm_admission", llmAdmission), ("llm_codec", llmCodec), ("llm_other", llmOther), ("tools", tools), ("agent", agent),
                ("step_other", stepOther), ("writer_queue", writerQueue), ("write_send", writeSend), ("commit", commit),
            ]
        }
    }

    /// The breakdown of this timeline, given the alert's ingest commit, the verdict transaction's start and commit
    /// (wall clock, µs since 1970) and the AI path's audit (`triage.ai.audit`, nil when the AI path did not run).
    /// Nil when the writer's instant is missing (the result was never written with this timeline).
    public func breakdown(ingestCommitAt: Int64, verdictStartAt: Int64, verdictCommitAt: Int64, audit: JSONValue?) -> Breakdown? {
        guard let writeStartedAt else { return nil }
        func ms(_ from: Int64, _ to: Int64) -> Double { Double(to - from) / 1000 }
        func audited(_ key: String) -> Double { audit?["timing"]?[key]?.doubleValue ?? 0 }
        let step = ms(stepStartedAt, stepEndedAt)
        let ai = audit?["latency_ms"]?.doubleValue ?? 0
        let pickup = max(ingestCommitAt, claimReadyAt)
        // The notification that woke the loop for this alert came after its commit and the room.
        let notified = notifiedAt.flatMap { $0 >= pickup && $0 <= claimSentAt ? $0 : nil } ?? pickup
        return Breakdown(
            latency: ms(ingestCommitAt, verdictCommitAt),
            slotWait: max(0, ms(ingestCommitAt, claimReadyAt)),
            notify: ms(pickup, notified),
            wake: ms(notified, claimSentAt),
            claim: ms(claimSentAt, claimedAt),
            dispatch: ms(claimedAt, stepStartedAt),
            llmWire: audited("wire_ms"),
            llmAdmission: audited("admission_wait_ms"),
            llmCodec: audited("codec_ms"),
            llmOther: audited("settle_ms") + audited("call_other_ms"),
            tools: audited("tools_ms"),
            agent: audited("agent_ms"),
            stepOther: step - ai,
            writerQueue: ms(stepEndedAt, writeStartedAt),
            writeSend: ms(writeStartedAt, verdictStartAt),
            commit: ms(verdictStartAt, verdictCommitAt)
        )
    }
}
