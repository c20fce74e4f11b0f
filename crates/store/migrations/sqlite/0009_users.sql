-- Staff users who sign in with a password (issue 14). Created only by an admin
-- (`quytac admin add-user`); every write is audited and binds the row (the password hash
-- included), so an edited hash is found by verification.
CREATE TABLE users (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    username       TEXT    NOT NULL UNIQUE,
    display_name   TEXT    NOT NULL,
    role           TEXT    NOT NULL,
    agency_id      TEXT    REFERENCES agencies (id),
    -- argon2id, as a PHC string (`$argon2id$v=19$m=…`).
    password_hash  TEXT    NOT NULL,
    disabled       BIGINT  NOT NULL DEFAULT 0,
    created_at     BIGINT  NOT NULL,
    updated_at     BIGINT  NOT NULL
);

-- A console session belongs to a user (signed in with a password) or to a token (a
-- machine, or a person who pasted one). Sessions are short-lived, so the table is made
-- again: everyone signs in once more after this upgrade.
DROP TABLE console_sessions;
CREATE TABLE console_sessions (
    id_hash       TEXT    PRIMARY KEY,
    token_id      BIGINT  REFERENCES tokens (id),
    user_id       BIGINT  REFERENCES users (id),
    created_at    BIGINT  NOT NULL,
    last_seen_at  BIGINT  NOT NULL,
    expires_at    BIGINT  NOT NULL,
    CHECK ((token_id IS NULL AND user_id IS NOT NULL) OR (token_id IS NOT NULL AND user_id IS NULL))
);
CREATE INDEX console_sessions_token ON console_sessions (token_id);
CREATE INDEX console_sessions_user ON console_sessions (user_id);
CREATE INDEX console_sessions_expiry ON console_sessions (expires_at);
