-- Decree 147's provider report counts visits (issue 14): one counter row per Vietnam day,
-- added to by the server's batched flushes. No personal data: only the day and a count.
CREATE TABLE daily_visits (
    day         TEXT     PRIMARY KEY,
    page_views  BIGINT   NOT NULL
);
