-- onewindow schema 11 (SQLite): investment projects (投资项目) under their unified code, and the
-- assessed regions (industrial parks) whose assessments the projects inside inherit. A project
-- is a JSON body with the columns lists filter on. Keep in step with ../postgres/.
CREATE TABLE projects (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    owner_identity TEXT NOT NULL,
    registered_by TEXT,
    agent TEXT,
    region TEXT,
    version BIGINT NOT NULL,
    body TEXT NOT NULL,
    registered_on TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX projects_owner ON projects (owner_identity);
CREATE INDEX projects_agent ON projects (agent);
CREATE TABLE regions (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    assessments TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
