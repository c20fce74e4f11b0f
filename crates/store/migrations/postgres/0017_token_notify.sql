-- A server keeps the token rows it has read (`token_cache.rs`) and must hear of every change
-- to one, whoever makes it: this trigger notifies `quytac_tokens` with the row's id on each
-- update or delete of `tokens` (revocation above all). The notification is sent when the
-- changing transaction commits.
CREATE FUNCTION quytac_token_changed() RETURNS trigger AS $$
BEGIN
  PERFORM pg_notify('quytac_tokens', OLD.id::text);
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER tokens_changed AFTER UPDATE OR DELETE ON tokens
  FOR EACH ROW EXECUTE FUNCTION quytac_token_changed();
