-- onewindow schema 18 (PostgreSQL): electronic licences (电子证照), their types, the public keys
-- that verify their signatures, and every download of a result. Keep in step with ../sqlite/.

-- One row per version of a licence; `body` is the domain's Licence as JSON (the fields printed
-- on it, its state and its signature). The columns beside it are what lists and look-ups need.
CREATE TABLE licences (
    identifier TEXT PRIMARY KEY,
    holder_id TEXT NOT NULL,
    licence_type TEXT NOT NULL,
    issuer_department TEXT NOT NULL,
    case_id TEXT NOT NULL,
    state TEXT NOT NULL,
    valid_until TEXT,
    issued_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX licences_by_holder ON licences (holder_id, licence_type);
CREATE INDEX licences_by_case ON licences (case_id);

-- The licence type register: a type a department defines itself the first time it issues it
-- (地方证照类型), or a national type code an administrator enters.
CREATE TABLE licence_types (
    name TEXT PRIMARY KEY,
    type_code TEXT NOT NULL UNIQUE,
    defined_at TEXT NOT NULL
);

-- Ed25519 public keys of the issuing authorities, by key id (the first 16 hex characters of the
-- key's SHA-256). A retired key signs no more and still verifies what it signed. The secret
-- halves stay in the data directory of the node that made them.
CREATE TABLE licence_keys (
    key_id TEXT PRIMARY KEY,
    issuer_code TEXT NOT NULL,
    public_key TEXT NOT NULL,
    created_at TEXT NOT NULL,
    retired_at TEXT
);

-- Who downloaded which result of a case, and when: the first download of a result issued
-- delivers a case delivered online (网上下载).
CREATE TABLE result_downloads (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL,
    document TEXT NOT NULL,
    username TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX result_downloads_by_case ON result_downloads (case_id);
