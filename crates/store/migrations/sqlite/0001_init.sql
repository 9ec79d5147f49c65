-- onewindow schema 1 (SQLite). Keep in step with ../postgres/0001_init.sql.
CREATE TABLE departments (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    name_en TEXT NOT NULL
);

CREATE TABLE items (
    code TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    department TEXT NOT NULL,
    run_mode TEXT NOT NULL,
    visits_required INTEGER NOT NULL,
    promised_days INTEGER NOT NULL,
    statutory_days INTEGER NOT NULL,
    search_text TEXT NOT NULL,
    body TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX items_department ON items (department, code);

CREATE TABLE item_versions (
    code TEXT NOT NULL,
    version INTEGER NOT NULL,
    body TEXT NOT NULL,
    published_at TEXT NOT NULL,
    PRIMARY KEY (code, version)
);

CREATE TABLE cases (
    id TEXT PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    item_code TEXT NOT NULL,
    item_version INTEGER NOT NULL,
    department TEXT NOT NULL,
    centre TEXT NOT NULL,
    channel TEXT NOT NULL,
    status TEXT NOT NULL,
    applicant_name TEXT NOT NULL,
    received_on TEXT NOT NULL,
    accepted_on TEXT,
    due_on TEXT,
    closed_on TEXT,
    visits INTEGER NOT NULL,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX cases_status ON cases (status, id);
CREATE INDEX cases_item ON cases (item_code, id);
CREATE INDEX cases_department ON cases (department, id);
CREATE INDEX cases_due ON cases (due_on);
CREATE INDEX cases_received ON cases (received_on);

CREATE TABLE case_events (
    case_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    actor TEXT NOT NULL,
    at TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (case_id, seq)
);

CREATE TABLE idempotency_keys (
    key TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);

CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    topic TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
);
