-- PostgreSQL's 0017 notifies token changes to the servers that cache token rows. SQLite has no
-- notifications and is never cached (`token_cache.rs`): nothing changes here; the version is
-- kept so both backends number their migrations alike.
SELECT 1;
