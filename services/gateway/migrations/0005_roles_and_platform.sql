-- Staff roles (services/gateway/domain/permissions.py). Accounts made before roles keep every right.
ALTER TABLE staff_accounts ADD COLUMN role text NOT NULL DEFAULT 'owner'
    CHECK (role IN ('owner', 'manager', 'clerk'));

-- Platform operators: the mall's own people, who decide applications, keep the category tree and suspend
-- merchants. Created only by `python -m deploy.admin create-operator`.
CREATE TABLE operators (
    username       text PRIMARY KEY,
    password_hash  text NOT NULL DEFAULT '',
    active         boolean NOT NULL DEFAULT true,
    created_at     timestamptz NOT NULL DEFAULT now()
);

-- One-time set-password links of new accounts (staff invitations, first owners, operators). Stored hashed;
-- a link is spent when used, and a newer link for the same account replaces the older.
CREATE TABLE password_links (
    token_hash  text PRIMARY KEY,
    kind        text NOT NULL CHECK (kind IN ('staff', 'operator')),
    username    text NOT NULL,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX password_links_account ON password_links (kind, username);

-- Who asked to sell in the mall, and what the platform decided.
CREATE TABLE merchant_applications (
    id              text PRIMARY KEY,
    merchant_name   text NOT NULL,
    licence_no      text NOT NULL,
    contact_name    text NOT NULL,
    contact_phone   text NOT NULL,
    contact_email   text NOT NULL DEFAULT '',
    owner_username  text NOT NULL,
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
    reason          text NOT NULL DEFAULT '',
    merchant_id     text,
    decided_by      text,
    decided_at      timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now()
);
-- One live application per licence: pending or approved.
CREATE UNIQUE INDEX merchant_applications_licence ON merchant_applications (licence_no)
    WHERE status <> 'rejected';
CREATE INDEX merchant_applications_status ON merchant_applications (status, created_at);

-- Merchants the platform suspended: their staff cannot sign in, their tokens are refused.
CREATE TABLE merchant_suspensions (
    merchant_id   text PRIMARY KEY,
    reason        text NOT NULL,
    suspended_by  text NOT NULL,
    suspended_at  timestamptz NOT NULL DEFAULT now()
);
