-- Member prices (issue 20): a merchant's price or discount per member level on a SKU or a category.
CREATE TABLE member_prices (
    id           text PRIMARY KEY,
    merchant_id  text NOT NULL,
    sku_id       text,
    category_id  text,
    level        int NOT NULL CHECK (level BETWEEN 2 AND 100),  -- level 1 is everyone: that is the price itself
    percent_off  int CHECK (percent_off BETWEEN 1 AND 99),
    price_fen    bigint CHECK (price_fen >= 1),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CHECK ((sku_id IS NULL) <> (category_id IS NULL)),
    CHECK ((percent_off IS NULL) <> (price_fen IS NULL))
);
CREATE UNIQUE INDEX member_prices_target ON member_prices (merchant_id, coalesce(sku_id, ''), coalesce(category_id, ''),
                                                           level);

-- Each buyer's level at each merchant, as marketing's member.level_changed last said (no row: level 1).
CREATE TABLE member_levels (
    user_id      text NOT NULL,
    merchant_id  text NOT NULL,
    level        int NOT NULL,
    changed_at   timestamptz NOT NULL,
    PRIMARY KEY (user_id, merchant_id)
);

-- What a line's unit would have cost without the member price (NULL: no member price applied).
ALTER TABLE order_lines ADD COLUMN list_price_fen bigint;
