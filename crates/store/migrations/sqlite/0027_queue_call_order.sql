-- onewindow schema 27: the hall's queue reads its call order from an index. A call takes the
-- waiting tickets of a centre and day by priority (highest first), then who came first: an index in that
-- order (priority descending) hands the first candidates over without sorting every waiting
-- ticket of the day, and one with the business before it does the same for a window that serves
-- named departments. The display board's latest calls come from (centre, called_at). Keep in step
-- with the other backend's file.
DROP INDEX tickets_queue;
CREATE INDEX tickets_call_order ON tickets (centre, day, state, priority DESC, issued_at, number);
CREATE INDEX tickets_call_business ON tickets (centre, day, state, business, priority DESC, issued_at, number);
CREATE INDEX tickets_called ON tickets (centre, called_at);
