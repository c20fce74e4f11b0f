-- State agencies (AG-1..AG-7). `id` is the agency's own short code (e.g. `so-tt-hn`), the
-- same string items carry in `author.agency` and profiles in `vouched_by`. `responsible` is a
-- JSON object: {"head": {"name", "position", "phone", "email"}, "page_admin": {…}} (AG-2, AG-3).
CREATE TABLE agencies (
    id                     TEXT    PRIMARY KEY,
    name                   TEXT    NOT NULL,
    parent_id              TEXT    REFERENCES agencies (id),
    official_domain        TEXT,
    page_handle            TEXT    UNIQUE,
    portal_feed_url        TEXT,
    response_working_days  BIGINT  NOT NULL,
    responsible            TEXT    NOT NULL,
    created_at             BIGINT  NOT NULL,
    updated_at             BIGINT  NOT NULL
);
CREATE INDEX agencies_parent ON agencies (parent_id);
