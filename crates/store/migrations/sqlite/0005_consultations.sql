-- Public consultations on draft policies (AG-6) and the agencies' official portal feeds
-- (AG-4). Times are Unix milliseconds (UTC); flags are 0/1 integers.
--
-- A consultation is open from `opens_at` until `closes_at`; `status` is `open` unless the
-- agency withdraws it (`withdrawn`), and whether it is still taking comments is derived from
-- the times when it is read.
CREATE TABLE consultations (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    agency_id        TEXT    NOT NULL REFERENCES agencies (id),
    title            TEXT    NOT NULL,
    summary          TEXT    NOT NULL,
    draft_text       TEXT,
    document_number  TEXT,
    opens_at         BIGINT  NOT NULL,
    closes_at        BIGINT  NOT NULL,
    status           TEXT    NOT NULL,
    created_by       TEXT    NOT NULL,
    created_at       BIGINT  NOT NULL,
    updated_at       BIGINT  NOT NULL
);
CREATE INDEX consultations_agency ON consultations (agency_id, id);

-- A citizen's comment. `text` is what was written, personal data included; the public and
-- the exports read `masked_text`. `stance_source` is `commenter` (chosen by the commenter) or
-- `classifier`. `check_json` holds the content check's verdict and findings; a comment with a
-- violation other than personal data (which masking remedies) is kept but not published.
CREATE TABLE consultation_comments (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    consultation_id  BIGINT  NOT NULL REFERENCES consultations (id),
    author           TEXT    NOT NULL,
    text             TEXT    NOT NULL,
    masked_text      TEXT    NOT NULL,
    stance           TEXT    NOT NULL,
    stance_source    TEXT    NOT NULL,
    verdict          TEXT    NOT NULL,
    check_json       TEXT    NOT NULL,
    published        BIGINT  NOT NULL,
    created_at       BIGINT  NOT NULL
);
CREATE INDEX consultation_comments_by_consultation ON consultation_comments (consultation_id, id);

-- The state of an agency's portal feed: where it was last read from (`url`, or NULL for an
-- uploaded file), the validators for the next conditional GET, and the last failure.
CREATE TABLE portal_feeds (
    agency_id      TEXT    PRIMARY KEY REFERENCES agencies (id),
    source         TEXT    NOT NULL,
    url            TEXT,
    etag           TEXT,
    last_modified  TEXT,
    fetched_at     BIGINT,
    last_error     TEXT,
    error_at       BIGINT,
    updated_at     BIGINT  NOT NULL
);

-- Articles read from a portal feed, one per (agency, guid); `guid` is the article's link.
CREATE TABLE portal_articles (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    agency_id     TEXT    NOT NULL REFERENCES agencies (id),
    guid          TEXT    NOT NULL,
    url           TEXT    NOT NULL,
    title         TEXT    NOT NULL,
    text          TEXT    NOT NULL,
    published_at  BIGINT,
    fetched_at    BIGINT  NOT NULL,
    UNIQUE (agency_id, guid)
);
CREATE INDEX portal_articles_agency ON portal_articles (agency_id, id);
