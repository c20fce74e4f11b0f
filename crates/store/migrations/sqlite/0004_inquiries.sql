-- Citizens' inquiries to agencies (AG-7) and what the agencies answer (AG-5). Times are Unix
-- milliseconds (UTC); `month` is the month of receipt in Vietnam time (UTC+7), `YYYY-MM`, so
-- that the public responsiveness figures group by it without date functions.
--
-- `text` and the replies' `text` are what was written, personal data included: only the
-- assigned officer and admins may read them, and each such read is an audit event. The public
-- reads `masked_text`, where the engine's personal-data spans are masked.
CREATE TABLE inquiries (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    agency_id            TEXT    NOT NULL REFERENCES agencies (id),
    citizen              TEXT    NOT NULL,
    kind                 TEXT    NOT NULL,
    text                 TEXT    NOT NULL,
    masked_text          TEXT    NOT NULL,
    check_json           TEXT    NOT NULL,
    status               TEXT    NOT NULL,
    assigned_to          TEXT,
    assigned_at          BIGINT,
    created_at           BIGINT  NOT NULL,
    month                TEXT    NOT NULL,
    working_days         BIGINT  NOT NULL,
    due_at               BIGINT  NOT NULL,
    reply_due_at         BIGINT,
    first_answered_at    BIGINT,
    answer_ms            BIGINT,
    answer_working_days  BIGINT,
    escalated_at         BIGINT,
    escalated_to         TEXT    REFERENCES agencies (id),
    updated_at           BIGINT  NOT NULL
);
-- Questions awaiting an answer, per agency: the figures that depend on the time of asking
-- (open, overdue, unanswered past the deadline) come from this index alone.
CREATE INDEX inquiries_awaiting_by_agency ON inquiries
    (agency_id, status, month, reply_due_at, due_at, first_answered_at);
-- Questions awaiting an answer, by deadline: the overdue sweep.
CREATE INDEX inquiries_awaiting ON inquiries (status, reply_due_at);
-- Times to first answer in order, per agency and month and per agency: an exact percentile is
-- a short walk from the start of its histogram bucket (below).
CREATE INDEX inquiries_answer_by_month ON inquiries (agency_id, month, answer_ms)
    WHERE answer_ms IS NOT NULL;
CREATE INDEX inquiries_answer ON inquiries (agency_id, answer_ms) WHERE answer_ms IS NOT NULL;
CREATE INDEX inquiries_agency ON inquiries (agency_id, id);

-- The public figures per agency and month of receipt, kept up to date in the transactions
-- that change inquiries, so that reading them never scans the inquiries: counts …
CREATE TABLE inquiry_stats (
    agency_id         TEXT    NOT NULL REFERENCES agencies (id),
    month             TEXT    NOT NULL,
    received          BIGINT  NOT NULL,
    answered          BIGINT  NOT NULL,
    answered_on_time  BIGINT  NOT NULL,
    escalated         BIGINT  NOT NULL,
    PRIMARY KEY (agency_id, month)
);

-- … and histograms of the time to first answer: `measure` 'days' counts first answers per
-- whole day elapsed (bucket = ⌊answer_ms / 86 400 000⌋), 'working_days' per number of working
-- days taken (bucket = answer_working_days).
CREATE TABLE inquiry_answer_histogram (
    agency_id  TEXT    NOT NULL REFERENCES agencies (id),
    month      TEXT    NOT NULL,
    measure    TEXT    NOT NULL,
    bucket     BIGINT  NOT NULL,
    n          BIGINT  NOT NULL,
    PRIMARY KEY (agency_id, month, measure, bucket)
);

-- What happened on an inquiry after it was asked, in order: an officer's answer, or the
-- citizen's reason for reopening it.
CREATE TABLE inquiry_replies (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    inquiry_id   BIGINT  NOT NULL REFERENCES inquiries (id),
    kind         TEXT    NOT NULL,
    author       TEXT    NOT NULL,
    text         TEXT    NOT NULL,
    masked_text  TEXT    NOT NULL,
    check_json   TEXT    NOT NULL,
    created_at   BIGINT  NOT NULL
);
CREATE INDEX inquiry_replies_inquiry ON inquiry_replies (inquiry_id, id);

-- Findings raised on an inquiry by the service itself (`response_overdue`, AG-7).
CREATE TABLE inquiry_findings (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    inquiry_id   BIGINT  NOT NULL REFERENCES inquiries (id),
    rule_id      TEXT    NOT NULL,
    category     TEXT    NOT NULL,
    severity     TEXT    NOT NULL,
    evidence     TEXT    NOT NULL,
    message_vi   TEXT    NOT NULL,
    message_en   TEXT    NOT NULL,
    created_at   BIGINT  NOT NULL
);
CREATE INDEX inquiry_findings_inquiry ON inquiry_findings (inquiry_id, id);
