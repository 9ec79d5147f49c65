-- onewindow schema 25: the three-level network and the hall's queue. A centre has its level
-- (county, township, village), its parent centre, its division code (GB/T 2260) and its
-- opening hours; a window its kind and, where the county narrows it, its items. A ticket
-- (取号) is one applicant in the queue of a centre: the store picks the next one a window calls
-- by a conditional update, so two windows never call the same ticket. Keep in step with the
-- other backend's file.
ALTER TABLE centres ADD COLUMN level TEXT NOT NULL DEFAULT 'county';
ALTER TABLE centres ADD COLUMN parent TEXT NOT NULL DEFAULT '';
ALTER TABLE centres ADD COLUMN division TEXT NOT NULL DEFAULT '';
ALTER TABLE centres ADD COLUMN opens TEXT NOT NULL DEFAULT '08:30';
ALTER TABLE centres ADD COLUMN closes TEXT NOT NULL DEFAULT '17:00';
CREATE INDEX centres_parent ON centres (parent);
CREATE INDEX centres_level ON centres (level);
ALTER TABLE windows ADD COLUMN kind TEXT NOT NULL DEFAULT 'comprehensive';
ALTER TABLE windows ADD COLUMN items TEXT NOT NULL DEFAULT '[]';
UPDATE windows SET kind = 'departmental' WHERE departments <> '[]';

CREATE TABLE tickets (
    id TEXT PRIMARY KEY,
    centre TEXT NOT NULL,
    day TEXT NOT NULL,
    number TEXT NOT NULL,
    business TEXT NOT NULL,
    source TEXT NOT NULL,
    priority BIGINT NOT NULL,
    state TEXT NOT NULL,
    id_number TEXT NOT NULL DEFAULT '',
    name TEXT NOT NULL DEFAULT '',
    taken_by TEXT NOT NULL DEFAULT '',
    issued_at TEXT NOT NULL,
    service_window TEXT NOT NULL DEFAULT '',
    called_at TEXT,
    calls BIGINT NOT NULL DEFAULT 0,
    finished_at TEXT,
    cases TEXT NOT NULL DEFAULT '[]'
);
CREATE UNIQUE INDEX tickets_number ON tickets (centre, day, number);
CREATE INDEX tickets_queue ON tickets (centre, state, priority, issued_at);
CREATE INDEX tickets_day ON tickets (day, centre);
