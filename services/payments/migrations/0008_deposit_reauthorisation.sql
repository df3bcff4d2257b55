-- A buyer who never confirmed a Sesame deposit-free freeze can ask again (issue 16/19). Each request is an
-- attempt (numbered in its out_order_no / out_request_no: da_, da2_, da3_…), its order string good until
-- auth_expires_at; only the current attempt counts, and a late freeze of an earlier one is cancelled. A rental
-- not confirmed by authorise_by is closed by orders' deadline: its deposit becomes `closed` (nothing frozen).
ALTER TABLE deposits DROP CONSTRAINT deposits_status_check;
ALTER TABLE deposits
    ADD CONSTRAINT deposits_status_check
        CHECK (status IN ('waived', 'pending', 'held', 'released', 'authorising', 'frozen', 'closed')),
    ADD COLUMN auth_attempt int NOT NULL DEFAULT 1 CHECK (auth_attempt >= 1),
    ADD COLUMN auth_expires_at timestamptz,
    ADD COLUMN authorise_by timestamptz;
