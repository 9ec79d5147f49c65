-- onewindow schema 7 (PostgreSQL): the monitor's sweep reads only the clocks whose light can change.
-- Each case carries the day from which the sweep must look at it again: '0000-00-00' when the
-- case was written since it last looked (set by every write of a case that is or was on a
-- clock), else the day its light turns yellow or red, NULL when nothing but a write can change
-- it (red, stopped, closed). The small table keeps what the lights were computed with (the
-- calendar and the light rule), so that a change of either has every running clock looked at
-- again. Keep in step with ../sqlite/.
ALTER TABLE cases ADD COLUMN light_check_on TEXT;
UPDATE cases SET light_check_on = '0000-00-00'
    WHERE status IN ('accepted', 'in_review') OR id IN (SELECT case_id FROM case_lights);
CREATE INDEX cases_light_check ON cases (light_check_on) WHERE light_check_on IS NOT NULL;

CREATE TABLE monitor_state (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
