-- onewindow schema 26: appointments (预约). An applicant, or an agent for them, books a slot
-- (its start, HH:MM) of a working day at a centre for a business; the booking takes a place in
-- the pool of windows that serves the business (`comprehensive` or `department:<code>`). The
-- places a slot's pool holds are counted here, under the row lock of the slot's counter
-- (`counters`, `appointment-slot:<centre>:<day>:<slot>:<pool>`) taken in the booking's own
-- transaction, so two bookings of the last place never both succeed, on one node or several.
-- `check_in_until` is when a booked appointment not checked in becomes missed (RFC 3339, UTC,
-- fixed width, so the text orders as the time does); a checked-in one names its ticket. Keep in
-- step with the other backend's file.
CREATE TABLE appointments (
    id TEXT PRIMARY KEY,
    centre TEXT NOT NULL,
    day TEXT NOT NULL,
    slot TEXT NOT NULL,
    slot_ends TEXT NOT NULL,
    business TEXT NOT NULL,
    pool TEXT NOT NULL,
    id_number TEXT NOT NULL,
    name TEXT NOT NULL,
    phone TEXT NOT NULL DEFAULT '',
    booked_by TEXT NOT NULL,
    state TEXT NOT NULL,
    booked_at TEXT NOT NULL,
    check_in_until TEXT NOT NULL,
    cancelled_at TEXT,
    checked_in_at TEXT,
    ticket TEXT NOT NULL DEFAULT ''
);
CREATE INDEX appointments_slot ON appointments (centre, day, pool, slot, state);
CREATE INDEX appointments_booker ON appointments (booked_by, day);
CREATE INDEX appointments_identity ON appointments (id_number, day);
