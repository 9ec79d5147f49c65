-- onewindow schema 15 (PostgreSQL): the State Council holiday notices an administrator loaded
-- (`onewindow calendar load`, the calendar page), so that every node and every restart counts
-- working days with them; and the due day an alert replaces when a notice moved a deadline
-- earlier. Keep in step with ../sqlite/.
CREATE TABLE calendar_notices (
    year INTEGER PRIMARY KEY,
    body TEXT NOT NULL,
    loaded_at TEXT NOT NULL,
    loaded_by TEXT NOT NULL
);
ALTER TABLE alerts ADD COLUMN previous_due_on TEXT;
