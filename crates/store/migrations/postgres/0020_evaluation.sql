-- onewindow schema 20 (PostgreSQL): evaluation (好差评): ratings, the rectifications bad ratings
-- open, third-party return visits, complaints, and the county's evaluation settings. Keep in step with ../sqlite/.

-- One row per rating; `body` is the domain's Rating as JSON (the provincial field set). A case
-- is rated once per stage (一事一评): the unique key makes a second rating fail even when two
-- arrive at once.
CREATE TABLE ratings (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL,
    case_number TEXT NOT NULL,
    stage TEXT NOT NULL,
    department TEXT NOT NULL,
    channel TEXT NOT NULL,
    level INTEGER NOT NULL,
    rated_at TEXT NOT NULL,
    counted INTEGER NOT NULL,
    body TEXT NOT NULL,
    UNIQUE (case_id, stage)
);
CREATE INDEX ratings_by_time ON ratings (rated_at);
CREATE INDEX ratings_by_department ON ratings (department, rated_at);

-- One row per rectification (差评整改); `body` is the domain's Rectification as JSON.
CREATE TABLE rectifications (
    id TEXT PRIMARY KEY,
    rating_id TEXT NOT NULL UNIQUE,
    case_id TEXT NOT NULL,
    department TEXT NOT NULL,
    state TEXT NOT NULL,
    opened_on TEXT NOT NULL,
    due_on TEXT NOT NULL,
    closed_on TEXT,
    version BIGINT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX rectifications_by_state ON rectifications (state, due_on);
CREATE INDEX rectifications_by_department ON rectifications (department, opened_on);

-- The county's evaluation settings (one row): the rating policy as JSON, and the key that signs
-- rating links (shared by every node through the store).
CREATE TABLE evaluation_settings (
    id INTEGER PRIMARY KEY,
    policy TEXT NOT NULL,
    link_key TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- Third-party return visits (回访); `body` is the domain's ReturnVisit as JSON. A case is on a
-- month's worklist once per reason (`sampled`, or `rating:<id>` for a real-name 差评).
CREATE TABLE return_visits (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL,
    month TEXT NOT NULL,
    reason_key TEXT NOT NULL,
    department TEXT NOT NULL,
    state TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version BIGINT NOT NULL,
    body TEXT NOT NULL,
    UNIQUE (case_id, month, reason_key)
);
CREATE INDEX return_visits_by_month ON return_visits (month, state);
CREATE INDEX return_visits_by_time ON return_visits (updated_at);

-- Complaints (投诉: 12345 tickets and the hall's); `body` is the domain's Complaint as JSON.
CREATE TABLE complaints (
    id TEXT PRIMARY KEY,
    department TEXT NOT NULL,
    received_on TEXT NOT NULL,
    due_on TEXT NOT NULL,
    answered INTEGER NOT NULL,
    version BIGINT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX complaints_by_received ON complaints (received_on);
CREATE INDEX complaints_by_department ON complaints (department, received_on);
