-- Flash sales (秒杀, issue 17): the copy of each sale that prices a line naming it (from flash_sale.scheduled).
CREATE TABLE flash_sales (
    sale_id          text PRIMARY KEY,
    sku_id           text NOT NULL,
    price_fen        bigint NOT NULL,
    per_buyer_limit  int NOT NULL,
    starts_at        timestamptz NOT NULL,
    ends_at          timestamptz NOT NULL
);
