-- onewindow schema 6 (SQLite): electronic monitoring. Each running clock's total limit beside its
-- due date (so a light is computed from two indexed columns), the last light of each clock that
-- is not green, and the alerts raised by changes of light. Keep in step with ../postgres/.
ALTER TABLE cases ADD COLUMN clock_limit BIGINT;
UPDATE cases SET clock_limit =
    json_extract(body, '$.clock.limit_days') + COALESCE(json_extract(body, '$.clock.extension_days'), 0)
    WHERE json_extract(body, '$.clock') IS NOT NULL;

CREATE TABLE case_lights (
    case_id TEXT PRIMARY KEY,
    light TEXT NOT NULL,
    changed_at TEXT NOT NULL
);

CREATE TABLE alerts (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL,
    case_number TEXT NOT NULL,
    item_name TEXT NOT NULL,
    department TEXT NOT NULL,
    centre TEXT NOT NULL,
    light TEXT NOT NULL,
    previous TEXT NOT NULL,
    due_on TEXT,
    raised_at TEXT NOT NULL
);
CREATE INDEX alerts_department ON alerts (department, id);
CREATE INDEX alerts_case ON alerts (case_id, id);

CREATE TABLE alert_reads (
    alert_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    read_at TEXT NOT NULL,
    PRIMARY KEY (alert_id, user_id)
);
