-- onewindow schema 5 (PostgreSQL): drafts of catalogue items, and the hall: service centres and
-- their windows. Keep in step with ../sqlite/.
CREATE TABLE item_drafts (
    code TEXT PRIMARY KEY,
    base_version BIGINT,
    body TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE centres (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    name_en TEXT NOT NULL,
    address TEXT NOT NULL
);

CREATE TABLE windows (
    centre TEXT NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    departments TEXT NOT NULL,
    PRIMARY KEY (centre, code)
);
