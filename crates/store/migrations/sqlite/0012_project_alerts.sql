-- onewindow schema 12 (SQLite): alerts to a project's agent when a step of its plan stalls
-- (passes its planned end undone): one per step and agent, read by the agent.
-- Keep in step with ../postgres/.
CREATE TABLE project_alerts (
    id TEXT PRIMARY KEY,
    project_code TEXT NOT NULL,
    step_key TEXT NOT NULL,
    recipient TEXT NOT NULL,
    project_name TEXT NOT NULL,
    item_name TEXT NOT NULL,
    department TEXT NOT NULL,
    planned_end TEXT NOT NULL,
    raised_at TEXT NOT NULL,
    read_at TEXT,
    UNIQUE (project_code, step_key, recipient)
);
CREATE INDEX project_alerts_recipient ON project_alerts (recipient, id);
