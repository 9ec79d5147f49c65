-- onewindow schema 19 (PostgreSQL): delivery by post (快递送达) and the couriers that report on
-- parcels. Keep in step with ../sqlite/.

-- One row per case posted or to be posted; `body` is the domain's CaseDelivery as JSON (the
-- applicant's choice and agreement, every parcel and every report of it).
CREATE TABLE deliveries (
    case_id TEXT PRIMARY KEY,
    case_number TEXT NOT NULL,
    version BIGINT NOT NULL,
    updated_at TEXT NOT NULL,
    body TEXT NOT NULL
);

-- Parcels by courier and waybill, for the courier's report to find its case.
CREATE TABLE parcels (
    courier TEXT NOT NULL,
    waybill TEXT NOT NULL,
    case_id TEXT NOT NULL,
    state TEXT NOT NULL,
    dispatched_at TEXT NOT NULL,
    PRIMARY KEY (courier, waybill)
);
CREATE INDEX parcels_by_case ON parcels (case_id);

-- The couriers allowed to report, each with the shared secret its webhook signs with
-- (HMAC-SHA256). A secret is shown once, when the courier is added.
CREATE TABLE couriers (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    secret TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- Deliveries by method per period read the delivered events of a period.
CREATE INDEX case_events_by_kind ON case_events (kind, at);
