-- onewindow schema 24: applications saved before filing (暂存). The form is the applicant's JSON
-- as typed; the files uploaded with a draft are case_files rows whose case_id is 'draft:<id>'
-- (their bytes in the file store as any upload), so that filing the draft turns them into the
-- case's files without copying a byte. A draft expires: the sweep deletes it with its files.
CREATE TABLE application_drafts (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    item_code TEXT NOT NULL,
    item_name TEXT NOT NULL,
    form TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    expires_on TEXT NOT NULL
);
CREATE INDEX application_drafts_owner ON application_drafts (owner, updated_at);
CREATE INDEX application_drafts_expiry ON application_drafts (expires_on);
CREATE INDEX case_files_storage ON case_files (storage_key);
