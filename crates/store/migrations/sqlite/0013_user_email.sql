-- onewindow schema 13 (SQLite): an e-mail address on accounts, where alerts are mailed when an SMTP
-- relay is configured. Keep in step with ../postgres/.
ALTER TABLE users ADD COLUMN email TEXT;
