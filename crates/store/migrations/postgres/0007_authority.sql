-- The authority of the caller (issue 11, item 4).
--
-- An agency registered as a competent authority may file takedown requests (ND-2); only an
-- admin sets it (0/1).
ALTER TABLE agencies ADD COLUMN competent_authority BIGINT NOT NULL DEFAULT 0;

-- A takedown is filed in the name of the officer's own agency.
ALTER TABLE takedowns ADD COLUMN agency_id TEXT REFERENCES agencies (id);
CREATE INDEX takedowns_agency ON takedowns (agency_id, deadline);

-- A citizen's token speaks for one author (the `author.id` of the posts they wrote, e.g.
-- `mastodon:alice`): only that author appeals decisions on their posts.
ALTER TABLE tokens ADD COLUMN account_id TEXT;

-- An appeal contests a decision once.
CREATE UNIQUE INDEX appeals_once_per_decision ON appeals (decision_id);

-- Mastodon webhook deliveries already taken, by what they deliver (event and object id), so
-- a delivery sent again changes nothing. Keys older than the replay window are pruned: a
-- delivery that old is refused by its time anyway.
CREATE TABLE mastodon_deliveries (
    delivery_key  TEXT    PRIMARY KEY,
    delivered_at  BIGINT  NOT NULL,
    received_at   BIGINT  NOT NULL
);
CREATE INDEX mastodon_deliveries_time ON mastodon_deliveries (delivered_at);
