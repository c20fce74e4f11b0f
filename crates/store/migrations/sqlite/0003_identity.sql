-- Identity and verification (CS-1..CS-3, AG-1..AG-3). Times are Unix milliseconds; flags 0/1.
--
-- An agency officer's token is bound to the one agency it may act for (vouching, domain
-- challenges, page details).
ALTER TABLE tokens ADD COLUMN agency_id TEXT REFERENCES agencies (id);

-- Proof of control of an agency's official domain (AG-1): the agency publishes `token` at
-- https://DOMAIN/.well-known/quytac-challenge.txt (`method` well_known) or as a TXT record of
-- _quytac-challenge.DOMAIN (`method` dns); quytac fetches it and sets `verified_at`.
CREATE TABLE domain_challenges (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    agency_id    TEXT    NOT NULL REFERENCES agencies (id),
    domain       TEXT    NOT NULL,
    method       TEXT    NOT NULL,
    token        TEXT    NOT NULL UNIQUE,
    created_by   TEXT    NOT NULL,
    created_at   BIGINT  NOT NULL,
    expires_at   BIGINT  NOT NULL,
    verified_at  BIGINT,
    attempts     BIGINT  NOT NULL DEFAULT 0,
    last_error   TEXT
);
CREATE INDEX domain_challenges_agency ON domain_challenges (agency_id, id);

-- Badges of verified pages: `signed` is the signed document exactly as issued (canonical
-- JSON, Ed25519, see quytac-core identity::badge). At most one badge per agency is in force.
CREATE TABLE badges (
    serial         TEXT    PRIMARY KEY,
    agency_id      TEXT    NOT NULL REFERENCES agencies (id),
    challenge_id   BIGINT  NOT NULL REFERENCES domain_challenges (id),
    page_handle    TEXT    NOT NULL,
    domain         TEXT    NOT NULL,
    signed         TEXT    NOT NULL,
    kid            TEXT    NOT NULL,
    public_key     TEXT    NOT NULL,
    issued_at      BIGINT  NOT NULL,
    expires_at     BIGINT  NOT NULL,
    approved_by    TEXT    NOT NULL,
    revoked_at     BIGINT,
    revoked_by     TEXT,
    revoke_reason  TEXT
);
CREATE INDEX badges_agency ON badges (agency_id, issued_at);
CREATE UNIQUE INDEX badges_in_force ON badges (agency_id) WHERE revoked_at IS NULL;

-- Social-network accounts the service knows: display name and photo (CS-1, CS-2), the agency
-- they name as workplace (CS-3). `photo_report` is the photo check as JSON.
CREATE TABLE accounts (
    handle                   TEXT    PRIMARY KEY,
    display_name             TEXT    NOT NULL,
    role                     TEXT    NOT NULL,
    agency_id                TEXT    REFERENCES agencies (id),
    workplace                TEXT,
    photo_hash               TEXT,
    photo_report             TEXT,
    created_by               TEXT    NOT NULL,
    created_at               BIGINT  NOT NULL,
    updated_at               BIGINT  NOT NULL,
    display_name_changed_at  BIGINT  NOT NULL,
    photo_changed_at         BIGINT
);

-- An agency's attestation that an account is one of its staff (CS-3), binding the display
-- name and photo hash of the moment; `signed` as for badges. At most one in force per account
-- and agency.
CREATE TABLE staff_attestations (
    serial         TEXT    PRIMARY KEY,
    handle         TEXT    NOT NULL REFERENCES accounts (handle),
    agency_id      TEXT    NOT NULL REFERENCES agencies (id),
    legal_name     TEXT    NOT NULL,
    position       TEXT    NOT NULL,
    display_name   TEXT    NOT NULL,
    photo_hash     TEXT,
    signed         TEXT    NOT NULL,
    kid            TEXT    NOT NULL,
    public_key     TEXT    NOT NULL,
    name_check     TEXT    NOT NULL,
    issued_at      BIGINT  NOT NULL,
    created_by     TEXT    NOT NULL,
    revoked_at     BIGINT,
    revoked_by     TEXT,
    revoke_reason  TEXT
);
CREATE INDEX staff_attestations_handle ON staff_attestations (handle, issued_at);
CREATE UNIQUE INDEX staff_attestations_in_force ON staff_attestations (handle, agency_id) WHERE revoked_at IS NULL;
