-- Every revoked session is announced on the gateway's changes channel (shared.changes) as `revoked:<sid>`,
-- so each gateway replica drops it from its memo of live sessions (services/gateway/sessions.py). NOTIFY
-- from the inserting transaction itself: it is sent at the commit, and only if the revocation commits.
-- Revocations are rare, so holding the notify lock at their commit is cheap.
CREATE FUNCTION announce_revocation() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    PERFORM pg_notify('mall_changes_gateway', 'revoked:' || NEW.sid);
    RETURN NULL;
END
$fn$;

CREATE TRIGGER revoked_sessions_announced AFTER INSERT ON revoked_sessions
    FOR EACH ROW EXECUTE FUNCTION announce_revocation();
