-- onewindow schema 22 (SQLite): what accepting on a promise (容缺受理) and on a signed commitment
-- (告知承诺制) leave to follow up, kept beside the case in the transaction of every case write
-- (store/src/tolerance.rs), so that the reminder sweep, the department's post-check list and the
-- list of false commitments the window sees read an index instead of case bodies.
-- Keep in step with ../postgres/.

-- One row per promise still open (neither kept nor broken).
CREATE TABLE case_promises (
    case_id TEXT NOT NULL,
    material TEXT NOT NULL,
    due_on TEXT NOT NULL,
    PRIMARY KEY (case_id, material)
);
CREATE INDEX case_promises_due ON case_promises (due_on);

-- One row per commitment signed; check_due_on is set at acceptance, checked_on and truthful
-- by the department's check.
CREATE TABLE case_commitments (
    case_id TEXT NOT NULL,
    material TEXT NOT NULL,
    case_number TEXT NOT NULL,
    department TEXT NOT NULL,
    item_name TEXT NOT NULL,
    applicant_id TEXT NOT NULL,
    applicant_name TEXT NOT NULL,
    signed_on TEXT NOT NULL,
    check_due_on TEXT,
    checked_on TEXT,
    truthful BIGINT,
    note TEXT,
    PRIMARY KEY (case_id, material)
);
CREATE INDEX case_commitments_awaiting ON case_commitments (department, check_due_on)
    WHERE check_due_on IS NOT NULL AND checked_on IS NULL;
CREATE INDEX case_commitments_false ON case_commitments (applicant_id) WHERE truthful = 0;
