import Testing

@testable import VigilWorker

/// The claim loop's budget: at most `maxInFlight` steps running, at most as many again held while their results
/// wait for the completion writer; and the smallest claim worth a statement.
struct ClaimBudgetTests {
    @Test(arguments: [
        // (maxInFlight, held, awaitingWrite, budget)
        (256, 0, 0, 256),  // idle: a whole batch
        (256, 256, 0, 0),  // every slot runs a step
        (256, 256, 256, 256),  // the batch's steps ended, its results are being written: claim the next batch now
        (256, 512, 256, 0),  // a batch running and one being written: no more held
        (256, 300, 200, 156),  // 100 running: 156 more may run, 212 more may be held
        (256, 450, 400, 62),  // 50 running, but only 62 more may be held
        (4, 3, 1, 2),
        (1, 1, 1, 1),
        (1, 2, 1, 0),
    ])
    func budget(maxInFlight: Int, held: Int, awaitingWrite: Int, expected: Int) {
        #expect(WorkerRuntime.claimBudget(maxInFlight: maxInFlight, held: held, awaitingWrite: awaitingWrite) == expected)
    }

    @Test func neverMoreRunningStepsThanMaxInFlightNorMoreHeldThanTwice() {
        for maxInFlight in [1, 2, 3, 7, 64] {
            for held in 0...(2 * maxInFlight) {
                for awaitingWrite in 0...held {
                    let budget = WorkerRuntime.claimBudget(maxInFlight: maxInFlight, held: held, awaitingWrite: awaitingWrite)
                    #expect(budget >= 0)
                    #expect(held - awaitingWrite + budget <= maxInFlight || budget == 0)
                    #expect(held + budget <= 2 * maxInFlight)
                }
            }
        }
    }

    @Test(arguments: [
        // (claimBatch, maxInFlight, meanStep, meanClaim, threshold)
        (128, 8, nil, nil, 2),  // nothing measured yet: a quarter batch
        (128, 8, 5.0, 0.0015, 1),  // AI steps of 5 s: a slot would sit idle for about 0.6 s, a claim takes 1.5 ms
        (128, 256, 0.002, 0.0014, 32),  // trivial steps: a quarter batch of room comes free in 0.24 ms
        (128, 256, 0.5, 0.0014, 1),  // 0.5 s steps on 256 slots: 61 ms for a quarter batch, 43 claims' time
        (128, 256, 0.02, 0.0014, 32),  // 20 ms steps: 2.4 ms, under two claims' time
        (128, 4, 5.0, 0.0015, 1),  // a quarter of four is one anyway
        (128, 8, 5.0, nil, 2),
    ] as [(Int, Int, Double?, Double?, Int)])
    func threshold(claimBatch: Int, maxInFlight: Int, meanStep: Double?, meanClaim: Double?, expected: Int) {
        #expect(WorkerRuntime.claimThreshold(claimBatch: claimBatch, maxInFlight: maxInFlight, meanStep: meanStep, meanClaim: meanClaim) == expected)
    }
}
