from aiohttp import web

from services.gateway.app import OPERATIONS
from services.gateway.openapi import build_document
from services.gateway.routes import route_table


def test_every_served_route_is_documented_and_every_documented_operation_is_served():
    app = web.Application()
    app.router.add_routes(route_table(OPERATIONS))
    served = {(r.method, r.resource.canonical) for r in app.router.routes() if r.method != "HEAD"}
    doc = build_document(OPERATIONS)
    documented = {(method.upper(), path) for path, ops in doc["paths"].items() for method in ops}
    assert served == documented


def test_operation_ids_are_unique_and_contract_paths_exist():
    ids = [op.operation_id for op in OPERATIONS]
    assert len(ids) == len(set(ids))
    paths = build_document(OPERATIONS)["paths"]
    for method, path in [("post", "/api/session"), ("post", "/api/session/refresh"), ("get", "/api/me"),
                         ("get", "/api/home"), ("get", "/api/search"), ("get", "/api/search/suggest"),
                         ("get", "/api/search/history"), ("delete", "/api/search/history"),
                         ("get", "/api/products/{id}"), ("post", "/api/scan"), ("get", "/api/stores/nearby"),
                         ("put", "/api/favorites/products/{id}"), ("delete", "/api/favorites/products/{id}"),
                         ("get", "/api/favorites"), ("post", "/api/checkout/preview"), ("post", "/api/orders"),
                         ("get", "/api/orders"), ("get", "/api/orders/{id}"), ("post", "/api/orders/{id}/pay"),
                         ("get", "/api/installment-plans"), ("post", "/api/orders/{id}/cancel"),
                         ("post", "/api/orders/{id}/confirm-receipt"), ("post", "/api/orders/{id}/refund"),
                         ("get", "/api/orders/{id}/recommendations"), ("get", "/api/coupons/available"),
                         ("post", "/api/coupons/{template_id}/claim"), ("get", "/api/coupons/mine"),
                         ("get", "/api/coupons/nearby"), ("post", "/api/fission/{campaign_id}"),
                         ("post", "/api/fission/groups/{group_id}/join"), ("get", "/api/me/points"),
                         ("post", "/api/merchants/{id}/card"), ("get", "/api/me/cards")]:
        assert method in paths.get(path, {}), (method, path)


def test_writes_marked_idempotent_in_the_contract_require_the_key():
    params = build_document(OPERATIONS)["paths"]
    for path in ["/api/orders", "/api/orders/{id}/pay", "/api/orders/{id}/cancel", "/api/orders/{id}/refund",
                 "/api/coupons/{template_id}/claim"]:
        headers = [p for p in params[path]["post"]["parameters"] if p["in"] == "header"]
        assert headers == [{"name": "Idempotency-Key", "in": "header", "required": True,
                            "schema": {"type": "string", "pattern": "^[!-~]{1,255}$"}}]
