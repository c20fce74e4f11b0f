-- The audit binds the rows of tokens, agencies, accounts, domain challenges, badges, staff
-- attestations, consultations and their comments too (issue 11, item 7). Rows written before
-- this version are not checked until the workflow writes them again: for numbered tables,
-- those below `audit_coverage.from_id`; for tables keyed by text, those listed here.
INSERT INTO audit_coverage (tbl, from_id) SELECT 'tokens', COALESCE(MAX(id), 0) + 1 FROM tokens;
INSERT INTO audit_coverage (tbl, from_id) SELECT 'domain_challenges', COALESCE(MAX(id), 0) + 1 FROM domain_challenges;
INSERT INTO audit_coverage (tbl, from_id) SELECT 'consultations', COALESCE(MAX(id), 0) + 1 FROM consultations;
INSERT INTO audit_coverage (tbl, from_id) SELECT 'consultation_comments', COALESCE(MAX(id), 0) + 1 FROM consultation_comments;

CREATE TABLE audit_legacy_rows (
    tbl      TEXT  NOT NULL,
    row_key  TEXT  NOT NULL,
    PRIMARY KEY (tbl, row_key)
);
INSERT INTO audit_legacy_rows (tbl, row_key) SELECT 'agencies', id FROM agencies;
INSERT INTO audit_legacy_rows (tbl, row_key) SELECT 'accounts', handle FROM accounts;
INSERT INTO audit_legacy_rows (tbl, row_key) SELECT 'badges', serial FROM badges;
INSERT INTO audit_legacy_rows (tbl, row_key) SELECT 'staff_attestations', serial FROM staff_attestations;
