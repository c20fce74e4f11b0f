-- Tokens done right and console sessions (issue 11).
--
-- `tokens.hash` of a token made from this version on is `sha256:` and the hex SHA-256 of its
-- 256-bit secret; rows of older versions hold an argon2 PHC string (`$argon2…`) and are
-- refused as retired (`token_retired`). A token may expire; a revoked one keeps its row (the
-- audit log names it) with the time of revocation.
ALTER TABLE tokens ADD COLUMN expires_at BIGINT;
ALTER TABLE tokens ADD COLUMN revoked_at BIGINT;

-- A signed-in web console: the SHA-256 of the session id in the browser's cookie (never the
-- id itself), the token it was opened with, and its idle and absolute expiry.
CREATE TABLE console_sessions (
    id_hash       TEXT    PRIMARY KEY,
    token_id      BIGINT  NOT NULL REFERENCES tokens (id),
    created_at    BIGINT  NOT NULL,
    last_seen_at  BIGINT  NOT NULL,
    expires_at    BIGINT  NOT NULL
);
CREATE INDEX console_sessions_token ON console_sessions (token_id);
CREATE INDEX console_sessions_expiry ON console_sessions (expires_at);
