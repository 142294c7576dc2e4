// The coordinator: HTTP API, sharding, backpressure (issue 3).
