-- The moderation console (issue 14, item 1): who a case is assigned to, and staff's internal
-- notes on it. Both are append-only: the current assignee is a case's latest assignment, and
-- each row is bound by the audit event of the write that made it.
CREATE TABLE case_assignments (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id      BIGINT  NOT NULL REFERENCES cases (id),
    -- Who takes the case (an actor's name, e.g. `moderator:3`); NULL: nobody any more.
    assignee     TEXT,
    assigned_by  TEXT    NOT NULL,
    assigned_at  BIGINT  NOT NULL
);
CREATE INDEX case_assignments_case ON case_assignments (case_id, id);

-- Internal notes: staff only, never shown to the post's author.
CREATE TABLE case_notes (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id     BIGINT  NOT NULL REFERENCES cases (id),
    author      TEXT    NOT NULL,
    body        TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL
);
CREATE INDEX case_notes_case ON case_notes (case_id, id);

-- The queue's filters and sort: cases by status and time, takedowns and reports by case.
CREATE INDEX cases_status_opened ON cases (status, opened_at);
CREATE INDEX takedowns_case ON takedowns (case_id, status);
