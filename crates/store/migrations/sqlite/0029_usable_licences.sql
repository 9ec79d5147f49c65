-- onewindow schema 29 (SQLite): a filing finds the newest usable licences of a holder of one
-- type (免证办) from the index alone, in the order it wants them, however many licences the
-- holder has held (issue 19). Keep in step with ../postgres/.
DROP INDEX licences_by_holder;
CREATE INDEX licences_by_holder ON licences (holder_id, licence_type, issued_at);
