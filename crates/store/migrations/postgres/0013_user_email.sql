-- onewindow schema 13 (PostgreSQL): an e-mail address on accounts, where alerts are mailed when an SMTP
-- relay is configured. Keep in step with ../sqlite/.
ALTER TABLE users ADD COLUMN email TEXT;
