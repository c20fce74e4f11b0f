-- Decree 147/2024 (issue 14): how an account was authenticated (ND-1: `mobile`, `personal_id`,
-- `none`; only the last three digits of the number are kept), and for a minor the date of
-- birth and the parent or guardian who registered it (ND-4). Users' reports are complaints
-- on a 48-hour clock: the report period queries read them by time.
ALTER TABLE accounts ADD COLUMN auth_method TEXT NOT NULL DEFAULT 'none';
ALTER TABLE accounts ADD COLUMN auth_ref TEXT;
ALTER TABLE accounts ADD COLUMN birth_date TEXT;
ALTER TABLE accounts ADD COLUMN guardian TEXT;
ALTER TABLE accounts ADD COLUMN guardian_relation TEXT;
CREATE INDEX reports_created ON reports (created_at);
CREATE INDEX posts_created ON posts (created_at);
