-- Vigil's first migration: the cluster's identity.
-- One row, created by `vigil migrate`; later migrations add the job tables.
CREATE TABLE cluster (
    id boolean PRIMARY KEY DEFAULT true CHECK (id),
    cluster_id uuid NOT NULL DEFAULT gen_random_uuid(),
    created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO cluster DEFAULT VALUES;
