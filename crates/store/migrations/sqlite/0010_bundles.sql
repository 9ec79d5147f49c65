-- onewindow schema 10 (SQLite): joint-approval bundles (联办事项), versioned like items, and the
-- department tasks of joint cases, kept beside the case body so that a department's list and its
-- scope are an index lookup. Keep in step with ../postgres/.
CREATE TABLE bundles (
    code TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    name TEXT NOT NULL,
    lead_department TEXT NOT NULL,
    body TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE bundle_versions (
    code TEXT NOT NULL,
    version INTEGER NOT NULL,
    body TEXT NOT NULL,
    published_at TEXT NOT NULL,
    published_by TEXT NOT NULL,
    PRIMARY KEY (code, version)
);
-- A task's clock has its own light: `light` (none: green) and `light_check_on`, the day the
-- monitor looks at it again ('0000-00-00' after every write of its case), as for cases.
CREATE TABLE case_tasks (
    case_id TEXT NOT NULL,
    task_key TEXT NOT NULL,
    item_name TEXT NOT NULL,
    department TEXT NOT NULL,
    status TEXT NOT NULL,
    claimed_by TEXT,
    due_on TEXT,
    limit_days INTEGER,
    light TEXT,
    light_check_on TEXT,
    PRIMARY KEY (case_id, task_key)
);
CREATE INDEX case_tasks_department ON case_tasks (department, status);
CREATE INDEX case_tasks_check ON case_tasks (light_check_on);
