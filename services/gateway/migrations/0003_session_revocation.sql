-- Login sessions: every refresh token of one login shares a family id, which is also the `sid` of the access
-- tokens issued from it. Logout, or the reuse of a spent refresh token, revokes the whole family.
ALTER TABLE refresh_tokens ADD COLUMN family_id text;
UPDATE refresh_tokens SET family_id = gen_random_uuid()::text WHERE family_id IS NULL;
ALTER TABLE refresh_tokens ALTER COLUMN family_id SET NOT NULL;
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);

-- Sessions whose access tokens are refused before they expire. A row is needed only while a token of the
-- session could still be unexpired: it may be forgotten after `forget_after`.
CREATE TABLE revoked_sessions (
    sid           text PRIMARY KEY,
    reason        text NOT NULL,
    revoked_at    timestamptz NOT NULL DEFAULT now(),
    forget_after  timestamptz NOT NULL
);
CREATE INDEX revoked_sessions_forget ON revoked_sessions (forget_after);
