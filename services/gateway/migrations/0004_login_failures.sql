-- Failed logins and 401 answers per staff account ('acct:<username>') and per client address ('ip:<addr>'),
-- shared by every gateway replica. locked_until set: refused with 429 until then (growing lock-out).
CREATE TABLE login_failures (
    key              text PRIMARY KEY,
    failures         integer NOT NULL,
    last_failure_at  timestamptz NOT NULL DEFAULT now(),
    locked_until     timestamptz
);
