-- Failed staff sign-ins (issue 14), kept in the store so that every serving process counts
-- the same failures and a restart forgets none. One row per key: `u:<username>` or
-- `c:<client>` (an IPv4 address, an IPv6 /64). Not audited: guesses are not acts of staff.
-- Rows past their window and lock are pruned as failures come in.
CREATE TABLE sign_in_failures (
    key           TEXT    PRIMARY KEY,
    failures      BIGINT  NOT NULL,
    -- The start of the window the failures are counted in (Unix ms).
    window_start  BIGINT  NOT NULL,
    -- Refused until then (Unix ms); NULL: not locked.
    locked_until  BIGINT
);
CREATE INDEX sign_in_failures_window ON sign_in_failures (window_start);
