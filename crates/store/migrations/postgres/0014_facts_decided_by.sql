-- onewindow schema 14 (PostgreSQL): the summary row keeps who decided the case (决定人), so that the
-- ranking of staff, like those of departments and centres, reads the narrow summary rows of a
-- period instead of every case body (the dashboard and the monthly report at millions of cases).
-- Existing rows are filled from the case bodies' decision. Keep in step with ../sqlite/.
ALTER TABLE case_facts ADD COLUMN decided_by TEXT;
UPDATE case_facts f
SET decided_by = (c.body::jsonb) -> 'decision' ->> 'decided_by'
FROM cases c
WHERE c.id = f.case_id AND f.completed_on IS NOT NULL;
