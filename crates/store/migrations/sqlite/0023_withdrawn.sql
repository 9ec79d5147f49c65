-- onewindow schema 23: the day the applicant withdrew a case (撤回), for the figure of
-- withdrawals. No case stored before this schema was withdrawn, so existing rows keep NULL (the
-- runner rewrites them after this file all the same: facts.rs BACKFILL_AFTER).
ALTER TABLE case_facts ADD COLUMN withdrawn_on TEXT;
CREATE INDEX case_facts_withdrawn ON case_facts (withdrawn_on) WHERE withdrawn_on IS NOT NULL;
