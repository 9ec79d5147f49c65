-- onewindow schema 9 (SQLite): one narrow summary row per case (case_facts) for statistics, so
-- that the figures of a period are read from indexed dates instead of case bodies. Written by the
-- store in the transaction of every case write (store/src/facts.rs); the rows of the cases that
-- exist when this migration runs are filled in by the runner right after this file, in the same
-- transaction. Keep in step with ../postgres/.
CREATE TABLE case_facts (
    case_id TEXT PRIMARY KEY,
    item_code TEXT NOT NULL,
    department TEXT NOT NULL,
    centre TEXT NOT NULL,
    -- The window that received the case: "centre/code" (see facts.rs), NULL if its centre has none.
    service_window TEXT,
    channel TEXT NOT NULL,
    received_on TEXT NOT NULL,
    accepted_on TEXT,
    rejected BIGINT NOT NULL,
    rejected_on TEXT,
    -- The decision's day (办结).
    completed_on TEXT,
    closed_on TEXT,
    promised_days BIGINT NOT NULL,
    visits BIGINT NOT NULL,
    -- 1 while the case's state runs on a clock (accepted, in review, suspended).
    on_clock BIGINT NOT NULL,
    clock_started_on TEXT,
    clock_limit_days BIGINT,
    clock_extension_days BIGINT,
    -- The clock's suspensions as "from/until" separated by ";" ("from/" while one is open).
    suspensions TEXT
);
CREATE INDEX case_facts_received ON case_facts (received_on);
CREATE INDEX case_facts_accepted ON case_facts (accepted_on) WHERE accepted_on IS NOT NULL;
CREATE INDEX case_facts_rejected ON case_facts (rejected_on) WHERE rejected_on IS NOT NULL;
CREATE INDEX case_facts_completed ON case_facts (completed_on) WHERE completed_on IS NOT NULL;
CREATE INDEX case_facts_on_clock ON case_facts (received_on) WHERE on_clock = 1;
