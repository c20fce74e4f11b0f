-- The audit log that scales and covers the state (issues 11 and 12).
--
-- Several hash chains, each with its own head row: chain 0 for the workflow's own writes,
-- chains 1.. for the shards of the ingest pipeline. An event's place is (chain, pos); `seq`
-- stays a unique number across chains, for paging. Events written before this migration are
-- chain 0 at pos = seq, in the first hash format (`format` 1); new events are format 2, whose
-- hash also covers the chain, the position and the rows the event binds (`bound`: the table,
-- id and content hash of every row its transaction wrote).
ALTER TABLE audit_events ADD COLUMN chain BIGINT NOT NULL DEFAULT 0;
ALTER TABLE audit_events ADD COLUMN pos BIGINT NOT NULL DEFAULT 0;
ALTER TABLE audit_events ADD COLUMN format BIGINT NOT NULL DEFAULT 1;
ALTER TABLE audit_events ADD COLUMN bound TEXT NOT NULL DEFAULT '[]';
UPDATE audit_events SET pos = seq;
CREATE UNIQUE INDEX audit_events_chain_pos ON audit_events (chain, pos);

-- The head of each chain; a writer on a chain holds its row (PostgreSQL: FOR UPDATE).
CREATE TABLE audit_chains (
    chain  BIGINT  PRIMARY KEY,
    pos    BIGINT  NOT NULL,
    hash   TEXT    NOT NULL
);
INSERT INTO audit_chains (chain, pos, hash)
SELECT 0, COALESCE(MAX(seq), 0),
       COALESCE((SELECT hash FROM audit_events ORDER BY seq DESC LIMIT 1),
                '0000000000000000000000000000000000000000000000000000000000000000')
FROM audit_events;

-- Signed heads: the Merkle root over every chain's head, signed in the transaction that
-- moved a head. `seq` is the number of events the head covers (the sum of the positions).
CREATE TABLE audit_heads (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    seq         BIGINT  NOT NULL,
    root        TEXT    NOT NULL,
    chains      TEXT    NOT NULL,
    at          BIGINT  NOT NULL,
    key_id      TEXT    NOT NULL,
    public_key  TEXT    NOT NULL,
    signature   TEXT    NOT NULL
);

-- Rows written before events bound rows are not covered: the first id of each table that is.
CREATE TABLE audit_coverage (
    tbl      TEXT    PRIMARY KEY,
    from_id  BIGINT  NOT NULL
);
INSERT INTO audit_coverage (tbl, from_id) SELECT 'posts', COALESCE(MAX(id), 0) + 1 FROM posts;
INSERT INTO audit_coverage (tbl, from_id) SELECT 'cases', COALESCE(MAX(id), 0) + 1 FROM cases;
INSERT INTO audit_coverage (tbl, from_id) SELECT 'decisions', COALESCE(MAX(id), 0) + 1 FROM decisions;
INSERT INTO audit_coverage (tbl, from_id) SELECT 'reports', COALESCE(MAX(id), 0) + 1 FROM reports;
INSERT INTO audit_coverage (tbl, from_id) SELECT 'appeals', COALESCE(MAX(id), 0) + 1 FROM appeals;
INSERT INTO audit_coverage (tbl, from_id) SELECT 'takedowns', COALESCE(MAX(id), 0) + 1 FROM takedowns;
INSERT INTO audit_coverage (tbl, from_id) SELECT 'violations', COALESCE(MAX(id), 0) + 1 FROM violations;
INSERT INTO audit_coverage (tbl, from_id) SELECT 'inquiries', COALESCE(MAX(id), 0) + 1 FROM inquiries;
INSERT INTO audit_coverage (tbl, from_id) SELECT 'inquiry_replies', COALESCE(MAX(id), 0) + 1 FROM inquiry_replies;
INSERT INTO audit_coverage (tbl, from_id) SELECT 'inquiry_findings', COALESCE(MAX(id), 0) + 1 FROM inquiry_findings;
