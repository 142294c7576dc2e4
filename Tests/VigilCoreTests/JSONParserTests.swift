import Testing
@testable import VigilCore

@Test func placeholder() { #expect(1 == 1) }
