-- The private links by which citizens who asked on the web follow their inquiries (issue 14).
-- The link carries a 256-bit random secret; only its SHA-256 (hex) is kept, so the table
-- cannot be turned back into links. `asker_name` and `asker_contact` are what the citizen
-- chose to leave (possibly empty): personal data, shown only to the assigned officer and
-- admins. Rows are bound to the audit event of the inquiry they were written with.
CREATE TABLE inquiry_follow_links (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    inquiry_id     BIGINT  NOT NULL UNIQUE REFERENCES inquiries (id),
    secret_hash    TEXT    NOT NULL UNIQUE,
    asker_name     TEXT    NOT NULL,
    asker_contact  TEXT    NOT NULL,
    created_at     BIGINT  NOT NULL
);

-- The inquiries escalated to each parent agency, for its officers' inbox.
CREATE INDEX inquiries_escalated_to ON inquiries (escalated_to, id) WHERE escalated_to IS NOT NULL;
