-- onewindow schema 2 (PostgreSQL): accounts, sessions and tokens, login throttling, the audit chain,
-- and the case columns that scope who may see a case. Keep in step with ../sqlite/.
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    identity TEXT,
    phone TEXT,
    password_hash TEXT NOT NULL,
    posts TEXT NOT NULL,
    may_reveal BIGINT NOT NULL DEFAULT 0,
    disabled BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX users_identity ON users (identity);

CREATE TABLE login_throttle (
    username TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    last_failure_at TEXT NOT NULL,
    locked_until TEXT
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    user_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT,
    revoked_at TEXT
);
CREATE INDEX sessions_user ON sessions (user_id, kind);

CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    role TEXT NOT NULL,
    source TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    outcome TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_actor ON audit_log (actor, seq);
CREATE INDEX audit_target ON audit_log (target, seq);

-- The count and last hash of the chain, moved in the same transaction as every append; verifying
-- against it finds records removed from the end.
CREATE TABLE audit_head (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

ALTER TABLE cases ADD COLUMN owner TEXT;
ALTER TABLE cases ADD COLUMN applicant_identity TEXT;
UPDATE cases SET applicant_identity = (body::jsonb -> 'applicant' ->> 'id_number');
CREATE INDEX cases_owner ON cases (owner, id);
CREATE INDEX cases_applicant ON cases (applicant_identity, id);
CREATE INDEX cases_centre ON cases (centre, id);
