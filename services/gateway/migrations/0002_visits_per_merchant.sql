-- A visit about one merchant (its member card, store, product) is that merchant's visit; '' is a visit to
-- the mall as a whole. user.active goes out once per user, day, entry point and merchant.
ALTER TABLE daily_visits ADD COLUMN merchant_id text NOT NULL DEFAULT '';
ALTER TABLE daily_visits DROP CONSTRAINT daily_visits_pkey;
ALTER TABLE daily_visits ADD PRIMARY KEY (user_id, day, entry, merchant_id);
