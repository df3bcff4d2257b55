-- Counts every hide and show of a review, so review.visibility_changed carries an order analytics can keep.
ALTER TABLE reviews ADD COLUMN visibility_revision int NOT NULL DEFAULT 0;
