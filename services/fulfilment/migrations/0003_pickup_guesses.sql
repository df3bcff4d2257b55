-- Wrong pickup codes typed at one store, counted per fixed window: past the limit the store's counter must
-- wait, so codes cannot be guessed by trying them (an 8-digit code, of which only live ones are valid).
CREATE TABLE pickup_misses (
    counter       text NOT NULL,  -- merchant_id/store_id: one merchant's misses never block another's
    window_start  timestamptz NOT NULL,
    misses        int NOT NULL,
    PRIMARY KEY (counter, window_start)
);
