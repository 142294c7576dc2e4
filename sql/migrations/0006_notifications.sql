-- Notifications (webhook outbox) and the MONITOR watch list (issue 8, items 3 and 4).
--
-- The outbox is written by the statement that writes the verdict, so a notification exists exactly when its
-- verdict committed: none is lost when a process dies and none is sent for a verdict that rolled back. The
-- coordinator's delivery loop sends the rows and deletes them (or moves them to webhook_dead_letter).
-- Keys of the per-alert tables start with `shard` (Citus: distribute by shard); webhook_subscription is a
-- reference table; monitor_watch is keyed by subject (Citus: distribute by subject).

-- Which verdict classes each configured webhook receives. The coordinator writes these rows from its webhook
-- configuration at start-up; the URL and the signing secret stay in its configuration, never in the database.
CREATE TABLE webhook_subscription (
    name text PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    decisions text[] NOT NULL
        CHECK (decisions <@ ARRAY['ESCALATE', 'MONITOR', 'CLOSE']::text[] AND cardinality(decisions) > 0),
    enabled boolean NOT NULL DEFAULT true,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- One row per (alert, subscription, event) still to deliver. `event` is 'verdict' (written with the verdict) or
-- 'approval' (written with a reviewer's approval of the recommended containment, for the subscriptions notified of
-- escalations: Vigil executes nothing, it hands the approval to the team's own tooling).
CREATE TABLE webhook_outbox (
    shard integer NOT NULL,
    alert_id uuid NOT NULL,
    subscription text NOT NULL,
    event text NOT NULL DEFAULT 'verdict' CHECK (event IN ('verdict', 'approval')),
    decision text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    attempt integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_status integer,
    last_error text,
    PRIMARY KEY (shard, alert_id, subscription, event)
);
CREATE INDEX webhook_outbox_due ON webhook_outbox (next_attempt_at);

-- Deliveries that failed their last try (or were refused for good: a 4xx other than 408/429).
CREATE TABLE webhook_dead_letter (
    shard integer NOT NULL,
    alert_id uuid NOT NULL,
    subscription text NOT NULL,
    event text NOT NULL DEFAULT 'verdict',
    decision text NOT NULL,
    created_at timestamptz NOT NULL,
    attempts integer NOT NULL,
    last_status integer,
    last_error text NOT NULL,
    died_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (shard, alert_id, subscription, event)
);

-- The MONITOR watch list: one row per (subject, alert) for alerts whose verdict was MONITOR. A subject is
-- 'principal:<principal>' or 'resource:<resource>'. A later alert about the same subject whose occurred_at lies
-- within the worker's recurrence window escalates, naming these alerts, and marks them escalated_by itself.
CREATE TABLE monitor_watch (
    subject text NOT NULL,
    alert_id uuid NOT NULL,
    shard integer NOT NULL,
    occurred_at timestamptz NOT NULL,
    watched_at timestamptz NOT NULL DEFAULT now(),
    escalated_by uuid,
    escalated_at timestamptz,
    PRIMARY KEY (subject, alert_id)
);
CREATE INDEX monitor_watch_open ON monitor_watch (subject, occurred_at) WHERE escalated_by IS NULL;
