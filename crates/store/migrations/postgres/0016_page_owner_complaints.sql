-- Complaints to page owners (Decree 147, issue 14): a user's report may be addressed to the
-- owner of the page the post appeared on — an agency's page (`agency`, its id) or an
-- account (`account`, its handle) — who must handle it within 48 hours: an answer
-- (`upheld`: the complaint was well-founded and the owner acted; `rejected`), with the
-- reason, by whom and when. A report without an addressee is a complaint to the provider,
-- handled by a decision on the post, as before. The audit log hashes these columns only
-- once one is set, so the reports bound before keep their hashes.
ALTER TABLE reports ADD COLUMN addressee_kind TEXT;
ALTER TABLE reports ADD COLUMN addressee_id TEXT;
ALTER TABLE reports ADD COLUMN answer TEXT;
ALTER TABLE reports ADD COLUMN answer_reason TEXT;
ALTER TABLE reports ADD COLUMN answered_by TEXT;
ALTER TABLE reports ADD COLUMN answered_at BIGINT;
-- A page owner's list, and the overdue sweep over the complaints not yet answered.
CREATE INDEX reports_addressee ON reports (addressee_kind, addressee_id, created_at);
CREATE INDEX reports_unanswered ON reports (answered_at, created_at);
