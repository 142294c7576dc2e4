// Shard leases, claiming and finishing jobs (issue 3).
