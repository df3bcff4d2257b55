-- 集分宝 (Alipay points) for paid orders, issue 19. A merchant names its 集分宝 budget library at Alipay and how
-- many 集分宝 each paid yuan earns; the buyer collects them once per paid order (the primary key says so). A
-- grant is written before Alipay is asked, and its partner_biz_no (Alipay's idempotency key) is made from the
-- order: asking again, after a lost answer or a retried request, pays nothing more.
CREATE TABLE jifenbao_budgets (
    merchant_id      text PRIMARY KEY,
    budget_code      text NOT NULL,
    points_per_yuan  int NOT NULL CHECK (points_per_yuan BETWEEN 0 AND 100),
    updated_at       timestamptz NOT NULL
);

CREATE TABLE jifenbao_grants (
    order_id         text PRIMARY KEY REFERENCES paid_orders (order_id),
    merchant_id      text NOT NULL,
    user_id          text NOT NULL,
    alipay_user_id   text NOT NULL,
    budget_code      text NOT NULL,
    points           int NOT NULL CHECK (points > 0),
    partner_biz_no   text NOT NULL UNIQUE,
    status           text NOT NULL CHECK (status IN ('pending', 'sent')),
    attempts         int NOT NULL DEFAULT 0,
    record_id        text,
    created_at       timestamptz NOT NULL,
    sent_at          timestamptz
);
