-- The latest visibility of each review (review.visibility_changed): hidden reviews leave the rating trend.
-- Its own table, as the change may arrive before the review it is about.
CREATE TABLE review_visibility (
    review_id  text PRIMARY KEY,
    hidden     boolean NOT NULL,
    revision   int NOT NULL
);
