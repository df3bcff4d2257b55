"""Bulk import sheets (Excel .xlsx or CSV): their templates, reading them, and checking every row before
anything is written. A sheet with any bad cell is refused whole, listing each bad cell by row and column
(rows counted as a spreadsheet shows them: the header is row 1)."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from openpyxl import Workbook, load_workbook

from shared.refusal import Refusal

SheetKind = Literal["products", "stock"]
SheetFormat = Literal["csv", "xlsx"]
MAX_SHEET_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
MAX_FEN = 100_000_000_00
XLSX_MEDIA = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Rows with the same `product` key are one product (its name, category, ... from its first row); each row is
# one SKU. `specs`: "颜色=红;尺码=L". Prices in yuan, as merchants write them.
COLUMNS: dict[SheetKind, list[str]] = {
    "products": ["product", "name", "category_id", "brand", "description", "image", "specs", "price_yuan",
                 "stock", "barcode"],
    "stock": ["sku_id", "stock_delta"],
}
REQUIRED: dict[SheetKind, set[str]] = {"products": {"product", "name", "price_yuan"},
                                       "stock": {"sku_id", "stock_delta"}}
EXAMPLES: dict[SheetKind, list[list[str]]] = {
    "products": [["tea-1", "明前龙井 250g", "", "狮峰", "春茶", "", "规格=250g", "99.00", "50", ""],
                 ["tea-1", "", "", "", "", "", "规格=500g", "188.00", "20", ""]],
    "stock": [["sku_tea", "10"], ["sku_cup", "-2"]],
}
SKU_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass
class RowErrors:
    items: list[dict[str, Any]] = field(default_factory=list)

    def add(self, row: int, column: str, code: str, detail: str) -> None:
        self.items.append({"row": row, "column": column, "code": code, "detail": detail})

    def refuse_if_any(self) -> None:
        if self.items:
            raise Refusal("import_invalid", f"{len(self.items)} cell(s) need fixing; nothing was imported", 422,
                          row_errors=self.items[:200])


def template(kind: SheetKind, fmt: SheetFormat) -> bytes:
    rows = [COLUMNS[kind], *EXAMPLES[kind]]
    if fmt == "csv":
        out = io.StringIO()
        csv.writer(out).writerows(rows)
        return ("\ufeff" + out.getvalue()).encode()  # the BOM makes Excel read UTF-8
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = kind
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def read_sheet(data: bytes, kind: SheetKind) -> list[tuple[int, dict[str, str]]]:
    """(row number, cells by column) of every non-empty row under the header; 422 for a file that is neither a
    readable .xlsx nor CSV, a header without the required columns, or too many rows."""
    table = _xlsx(data) if data.startswith(b"PK\x03\x04") else _csv(data)
    if not table:
        raise Refusal("sheet_empty", "The sheet has no header row", 422)
    header = [cell.strip().lower() for cell in table[0]]
    missing = sorted(REQUIRED[kind] - set(header))
    if missing:
        raise Refusal("sheet_columns", f"Missing column(s): {', '.join(missing)} (see the template)", 422,
                      missing=missing)
    rows = []
    for number, cells in enumerate(table[1:], start=2):
        values = {name: (cells[i].strip() if i < len(cells) else "") for i, name in enumerate(header)
                  if name in COLUMNS[kind]}
        if any(values.values()):
            rows.append((number, values))
    if len(rows) > MAX_ROWS:
        raise Refusal("sheet_too_long", f"A sheet may have at most {MAX_ROWS} rows", 422)
    if not rows:
        raise Refusal("sheet_empty", "The sheet has no rows under its header", 422)
    return rows


def _csv(data: bytes) -> list[list[str]]:
    for encoding in ("utf-8-sig", "gb18030"):  # Excel in China saves CSV as GB18030
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise Refusal("sheet_unreadable", "The file is neither an .xlsx workbook nor a UTF-8/GB18030 CSV", 422)
    if "\x00" in text:
        raise Refusal("sheet_unreadable", "The file is neither an .xlsx workbook nor a CSV", 422)
    return [row for row in csv.reader(io.StringIO(text))]


def _xlsx(data: bytes) -> list[list[str]]:
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        table = [["" if v is None else _cell_text(v) for v in row]
                 for row in sheet.iter_rows(values_only=True, max_row=MAX_ROWS + 2)]
        book.close()
        return table
    except Exception as exc:  # openpyxl raises many kinds on a damaged or foreign zip
        raise Refusal("sheet_unreadable", "The file is not a readable .xlsx workbook", 422) from exc


def _cell_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _fen(text: str) -> int | None:
    try:
        yuan = Decimal(text)
    except InvalidOperation:
        return None
    fen = yuan * 100
    if not yuan.is_finite() or fen != fen.to_integral_value() or not 1 <= fen <= MAX_FEN:
        return None
    return int(fen)


def _int(text: str, low: int, high: int) -> int | None:
    try:
        value = int(text)
    except ValueError:
        return None
    return value if low <= value <= high else None


def _specs(text: str) -> dict[str, str] | None:
    specs: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        key, sep, value = part.partition("=")
        if not sep or not key.strip() or not value.strip() or len(key) > 20 or len(value) > 50:
            return None
        specs[key.strip()] = value.strip()
    return specs if len(specs) <= 10 else None


def _text(errors: RowErrors, row: int, cells: dict[str, str], column: str, max_length: int) -> str:
    value = cells.get(column, "")
    if len(value) > max_length:
        errors.add(row, column, "too_long", f"At most {max_length} characters")
    return value


def product_bodies(rows: list[tuple[int, dict[str, str]]]) -> tuple[list[dict[str, Any]], list[int]]:
    """The products to create (merchant API bodies, prices in fen) and the first row of each; or 422 with every
    bad cell."""
    errors = RowErrors()
    products: dict[str, dict[str, Any]] = {}
    first_rows: dict[str, int] = {}
    for row, cells in rows:
        key = cells.get("product", "")
        if not key:
            errors.add(row, "product", "required", "Each row names its product (rows of one product share it)")
            continue
        if key not in products:
            name = _text(errors, row, cells, "name", 100)
            if not name:
                errors.add(row, "name", "required", "The first row of a product gives its name")
            products[key] = {"name": name, "brand": _text(errors, row, cells, "brand", 50),
                             "description": _text(errors, row, cells, "description", 5000),
                             "image": _text(errors, row, cells, "image", 500), "skus": []}
            if cells.get("category_id"):
                products[key]["category_id"] = _text(errors, row, cells, "category_id", 64)
            first_rows[key] = row
        sku: dict[str, Any] = {}
        fen = _fen(cells.get("price_yuan", ""))
        if fen is None:
            errors.add(row, "price_yuan", "invalid_price", "A price in yuan from 0.01, at most 2 decimals")
        sku["price_fen"] = fen
        stock = _int(cells.get("stock") or "0", 0, 10_000_000)
        if stock is None:
            errors.add(row, "stock", "invalid_stock", "A whole number from 0 to 10000000")
        sku["stock"] = stock
        specs = _specs(cells.get("specs", ""))
        if specs is None:
            errors.add(row, "specs", "invalid_specs", "Name=value pairs separated by ';' (at most 10)")
        sku["specs"] = specs or {}
        if cells.get("barcode"):
            sku["barcode"] = _text(errors, row, cells, "barcode", 13)
        if len(products[key]["skus"]) == 50:
            errors.add(row, "product", "too_many_skus", "A product has at most 50 SKUs")
        products[key]["skus"].append(sku)
    errors.refuse_if_any()
    return list(products.values()), list(first_rows.values())


def stock_changes(rows: list[tuple[int, dict[str, str]]]) -> tuple[list[dict[str, Any]], list[int]]:
    errors = RowErrors()
    changes = []
    for row, cells in rows:
        sku_id = cells.get("sku_id", "")
        if not SKU_ID.match(sku_id):
            errors.add(row, "sku_id", "invalid_sku_id", "A SKU id (letters, digits, '_', '-')")
        delta = _int(cells.get("stock_delta", ""), -10_000_000, 10_000_000)
        if delta is None or delta == 0:
            errors.add(row, "stock_delta", "invalid_delta", "A whole number other than 0 (negative: fewer)")
        changes.append({"sku_id": sku_id, "delta": delta})
    errors.refuse_if_any()
    return changes, [row for row, _ in rows]


def service_error_row(refusal: dict[str, Any], rows: list[int], columns: dict[str, str]) -> Refusal:
    """The owning service refused item `index` of the import: the same refusal, named by the item's row and
    the column of the field it names."""
    index = refusal.get("index")
    row = rows[index] if isinstance(index, int) and 0 <= index < len(rows) else None
    column = columns.get(str(refusal.get("field") or ""), "")
    return Refusal("import_invalid", "A row was refused; nothing was imported", 422, row_errors=[
        {"row": row, "column": column, "code": str(refusal.get("code")), "detail": str(refusal.get("detail"))}])
