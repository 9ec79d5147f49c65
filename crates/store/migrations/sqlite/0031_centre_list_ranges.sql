-- onewindow schema 31 (SQLite): a window's case list (its centre, in the states its clerks work)
-- walks one index range per state in id order, as a department's does since schema 30 (issue 19:
-- before, each state's branch read the centre's cases newest first until it found a page, the
-- whole centre for a rare state). Keep in step with ../postgres/.
CREATE INDEX cases_centre_status ON cases (centre, status, id);
