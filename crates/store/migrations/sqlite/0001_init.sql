-- The moderation store. Times are Unix milliseconds; flags are 0/1 integers, so the same
-- queries run unchanged on SQLite and PostgreSQL.
CREATE TABLE tokens (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    role        TEXT    NOT NULL,
    label       TEXT    NOT NULL,
    hash        TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL,
    revoked     BIGINT  NOT NULL DEFAULT 0
);

CREATE TABLE posts (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    external_id  TEXT    NOT NULL UNIQUE,
    author_id    TEXT,
    text         TEXT    NOT NULL,
    item_json    TEXT    NOT NULL,
    result_json  TEXT    NOT NULL,
    verdict      TEXT    NOT NULL,
    label        TEXT,
    source       TEXT    NOT NULL,
    created_at   BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL
);
CREATE INDEX posts_author ON posts (author_id);

CREATE TABLE cases (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    post_id     BIGINT  NOT NULL REFERENCES posts (id),
    status      TEXT    NOT NULL,
    source      TEXT    NOT NULL,
    verdict     TEXT    NOT NULL,
    opened_at   BIGINT  NOT NULL,
    updated_at  BIGINT  NOT NULL
);
CREATE INDEX cases_status ON cases (status, id);
CREATE INDEX cases_post ON cases (post_id);

CREATE TABLE decisions (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id              BIGINT  NOT NULL REFERENCES cases (id),
    rule_id              TEXT    NOT NULL,
    category             TEXT    NOT NULL,
    action               TEXT    NOT NULL,
    automated_detection  BIGINT  NOT NULL,
    automated_decision   BIGINT  NOT NULL,
    moderator            TEXT    NOT NULL,
    statement            TEXT    NOT NULL,
    on_appeal            BIGINT  NOT NULL,
    created_at           BIGINT  NOT NULL
);
CREATE INDEX decisions_case ON decisions (case_id);
CREATE INDEX decisions_time ON decisions (created_at);

CREATE TABLE reports (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id     BIGINT  NOT NULL REFERENCES cases (id),
    post_id     BIGINT  NOT NULL REFERENCES posts (id),
    reporter    TEXT    NOT NULL,
    category    TEXT,
    note        TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL,
    outcome     TEXT,
    outcome_at  BIGINT
);
CREATE INDEX reports_case ON reports (case_id);

CREATE TABLE appeals (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id      BIGINT  NOT NULL REFERENCES cases (id),
    decision_id  BIGINT  NOT NULL REFERENCES decisions (id),
    appellant    TEXT    NOT NULL,
    reason       TEXT    NOT NULL,
    status       TEXT    NOT NULL,
    created_at   BIGINT  NOT NULL,
    resolved_at  BIGINT
);
CREATE INDEX appeals_case ON appeals (case_id);

CREATE TABLE takedowns (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    post_id       BIGINT  NOT NULL REFERENCES posts (id),
    case_id       BIGINT  NOT NULL REFERENCES cases (id),
    authority     TEXT    NOT NULL,
    legal_basis   TEXT    NOT NULL,
    reason        TEXT    NOT NULL,
    requested_by  TEXT    NOT NULL,
    received_at   BIGINT  NOT NULL,
    deadline      BIGINT  NOT NULL,
    status        TEXT    NOT NULL,
    completed_at  BIGINT
);
CREATE INDEX takedowns_open ON takedowns (status, deadline);

CREATE TABLE violations (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id   TEXT    NOT NULL,
    case_id      BIGINT  NOT NULL REFERENCES cases (id),
    decision_id  BIGINT  NOT NULL REFERENCES decisions (id),
    action       TEXT    NOT NULL,
    at           BIGINT  NOT NULL
);
CREATE INDEX violations_account ON violations (account_id, at);

-- Append-only: each event's hash covers the previous hash and the canonical event.
CREATE TABLE audit_events (
    seq        BIGINT  PRIMARY KEY,
    at         BIGINT  NOT NULL,
    actor      TEXT    NOT NULL,
    action     TEXT    NOT NULL,
    subject    TEXT    NOT NULL,
    payload    TEXT    NOT NULL,
    prev_hash  TEXT    NOT NULL,
    hash       TEXT    NOT NULL
);

CREATE TABLE audit_checkpoints (
    seq         BIGINT  PRIMARY KEY,
    hash        TEXT    NOT NULL,
    signature   TEXT    NOT NULL,
    public_key  TEXT    NOT NULL,
    at          BIGINT  NOT NULL
);
