-- onewindow schema 4 (PostgreSQL): files handed in with a case (materials uploaded online, scans made
-- at the window). The bytes live in the file store; this row says what they are and whose.
-- Keep in step with ../sqlite/.
CREATE TABLE case_files (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL,
    material_key TEXT NOT NULL,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    storage_key TEXT NOT NULL,
    uploaded_by TEXT NOT NULL,
    uploaded_at TEXT NOT NULL
);
CREATE INDEX case_files_case ON case_files (case_id, material_key);
