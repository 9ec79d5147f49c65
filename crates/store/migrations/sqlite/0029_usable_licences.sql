-- onewindow schema 29 (SQLite): a filing finds a holder's licences of one type newest first
-- through the index (免证办), reading only those of the newest issue day, however many licences
-- the holder has held (issue 19). Keep in step with ../postgres/.
DROP INDEX licences_by_holder;
CREATE INDEX licences_by_holder ON licences (holder_id, licence_type, issued_at);
