-- onewindow schema 8 (PostgreSQL): fault responsibility records (过错责任记录) entered by supervisors,
-- counted by the assessment. Keep in step with ../sqlite/.
CREATE TABLE faults (
    id TEXT PRIMARY KEY,
    unit_kind TEXT NOT NULL,
    unit TEXT NOT NULL,
    what TEXT NOT NULL,
    rule TEXT NOT NULL,
    decision TEXT NOT NULL,
    occurred_on TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX faults_occurred ON faults (occurred_on);
