-- onewindow schema 16 (SQLite): a service centre's consultation phone (咨询电话), printed on the
-- window's receipts and one-time supplement notices. Empty until an administrator records it.
-- Keep in step with ../postgres/.
ALTER TABLE centres ADD COLUMN phone TEXT NOT NULL DEFAULT '';
