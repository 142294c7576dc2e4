// The worker: lease/claim loop and triage pipeline (issue 3).
