"""Configuration of the catalog service (env MALL_*)."""

from pydantic import Field

from shared.settings import ServiceSettings


class CatalogSettings(ServiceSettings):
    service: str = "catalog"
    http_port: int = 8081
    search_history_size: int = 20  # entries kept per user, newest first
    nearby_max_radius_m: int = 50_000
    # Unpaid units of one SKU one buyer may hold at once (MALL_MAX_UNPAID_UNITS_PER_SKU); more is refused
    # with stock.rejected{reason: purchase_limit}.
    max_unpaid_units_per_sku: int = Field(default=5, ge=1)
    # Distinct signed-in buyers who must search a query (with hits) before it is suggested to others.
    suggest_min_buyers: int = Field(default=3, ge=1)
    # Search (MALL_SEARCH_COUNT_CAP): a query with more hits than this is not ranked hit by hit (the page comes
    # from each kind of match's best sellers), and the answer's total is this number with total_exact false.
    search_count_cap: int = Field(default=2000, ge=1)
    # Reviews (MALL_REVIEW_WINDOW_DAYS): a completed order line may be reviewed for this many days; the one
    # follow-up for MALL_REVIEW_FOLLOWUP_DAYS after the review.
    review_window_days: int = Field(default=15, ge=1, le=365)
    review_followup_days: int = Field(default=180, ge=1, le=3650)
    # Footprints: the products a buyer viewed, newest first, this many kept (MALL_FOOTPRINTS_SIZE).
    footprints_size: int = Field(default=100, ge=1, le=1000)
    # Hot words: distinct buyers a searched query needs to be a hot word (MALL_HOT_WORD_MIN_BUYERS), and the new
    # queries one buyer may push towards popularity a day (MALL_POPULAR_QUERIES_PER_BUYER_DAY).
    hot_word_min_buyers: int = Field(default=5, ge=1)
    popular_queries_per_buyer_day: int = Field(default=30, ge=1)
    # How often ended flash sales are closed, their unsold units back on ordinary sale
    # (MALL_FLASH_CLOSE_EVERY_SECONDS).
    flash_close_every_seconds: float = Field(default=30, gt=0)
    # A flash-sale admission no order has taken after this long is released back to the sale
    # (MALL_FLASH_ADMISSION_HOLD_SECONDS): the gateway places the order right after admitting the buyer, so
    # only a lost placement (a crash between the two, or orders refusing it) waits this long. Checked every
    # MALL_FLASH_CLOSE_EVERY_SECONDS.
    flash_admission_hold_seconds: float = Field(default=600, gt=0)
    # Most admission requests the admitter decides in one transaction (MALL_FLASH_ADMISSION_BATCH).
    flash_admission_batch: int = Field(default=500, ge=1, le=10_000)
