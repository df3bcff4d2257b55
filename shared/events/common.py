"""Value objects that several events carry."""

from pydantic import BaseModel, ConfigDict, Field

Fen = int  # integer fen; fields holding money end in `_fen`


class Line(BaseModel):
    """One order line as every consumer needs it: what, how many, at what unit price."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sku_id: str
    product_id: str
    qty: int = Field(gt=0)
    unit_price_fen: Fen = Field(ge=0)
    category_id: str | None = None
    name: str = ""
    # The SKU's own price when a member price made `unit_price_fen` lower (catalog checks stock against it).
    list_price_fen: Fen | None = Field(default=None, ge=0)
    # The flash sale (秒杀) this line was priced by, and the buyer's admission to it (catalog's, asked by the
    # gateway before the order was placed): catalog holds the admission's units for the order, not the SKU's.
    flash_sale_id: str | None = None
    flash_admission_id: str | None = None
