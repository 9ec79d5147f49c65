-- onewindow schema 21 (PostgreSQL): messages to applicants (办件通知): one row per message per
-- channel and recipient, the inbox (站内信) and the delivery ledger of SMS and e-mail in one,
-- and each account's choices of how it is told. Keep in step with ../sqlite/.

-- The id is the event's and the channel's and the recipient's (domain notice::message_id), so
-- an event delivered twice writes its messages once. A pending row is tried at
-- next_attempt_at; the address (phone or e-mail) is never shown unmasked.
CREATE TABLE messages (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL,
    case_number TEXT NOT NULL,
    centre TEXT NOT NULL,
    user_id TEXT,
    channel TEXT NOT NULL,
    kind TEXT NOT NULL,
    language TEXT NOT NULL,
    address TEXT,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at TEXT,
    last_error TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT,
    read_at TEXT
);
CREATE INDEX messages_due ON messages (next_attempt_at) WHERE state = 'pending';
CREATE INDEX messages_by_case ON messages (case_id, created_at);
CREATE INDEX messages_by_user ON messages (user_id, channel, created_at);
CREATE INDEX messages_given_up ON messages (centre, created_at) WHERE state = 'given_up';

CREATE TABLE message_preferences (
    user_id TEXT PRIMARY KEY,
    sms BIGINT NOT NULL,
    email BIGINT NOT NULL,
    language TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- The short codes of rating invitations sent by SMS (/r/<code>): a signed link is too long for
-- one message. A code opens the case's signed rating link until it expires.
CREATE TABLE rating_invitations (
    code TEXT PRIMARY KEY,
    case_id TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX rating_invitations_by_case ON rating_invitations (case_id);

-- The outbox's rows are claimed by one node at a time (issue 21): a publisher sets the lease it
-- holds them for; another node takes only rows unclaimed or whose lease ran out.
ALTER TABLE outbox ADD COLUMN claimed_until TEXT;
