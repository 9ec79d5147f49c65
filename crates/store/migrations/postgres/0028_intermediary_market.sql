-- onewindow schema 28: the online intermediary supermarket (网上中介超市). Firms, needs and
-- contracts keep their whole record as a JSON body (as projects do), with the columns the lists
-- filter and order on beside it; `version` guards every change (a write names the version it
-- read). `intermediary_firm_accounts` says which account acts for which firm. Keep in step with
-- the other backend's file.
CREATE TABLE intermediary_firms (
    uscc TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    version BIGINT NOT NULL,
    body TEXT NOT NULL,
    registered_on TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX intermediary_firms_status ON intermediary_firms (status, name);
CREATE TABLE intermediary_firm_accounts (
    username TEXT PRIMARY KEY,
    uscc TEXT NOT NULL
);
CREATE TABLE intermediary_needs (
    id TEXT PRIMARY KEY,
    project_code TEXT NOT NULL,
    service TEXT NOT NULL,
    status TEXT NOT NULL,
    quote_deadline TEXT NOT NULL,
    version BIGINT NOT NULL,
    body TEXT NOT NULL,
    posted_on TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX intermediary_needs_status ON intermediary_needs (status, quote_deadline);
CREATE INDEX intermediary_needs_project ON intermediary_needs (project_code);
CREATE TABLE intermediary_contracts (
    id TEXT PRIMARY KEY,
    need_id TEXT NOT NULL,
    project_code TEXT NOT NULL,
    firm TEXT NOT NULL,
    status TEXT NOT NULL,
    version BIGINT NOT NULL,
    body TEXT NOT NULL,
    signed_on TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX intermediary_contracts_project ON intermediary_contracts (project_code);
CREATE INDEX intermediary_contracts_firm ON intermediary_contracts (firm, signed_on);
