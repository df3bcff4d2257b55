"""The mall's services: each owns one PostgreSQL schema and talks to the others only through events."""

# Local ports, one per service (the gateway is the only public entry).
PORTS = {"gateway": 8080, "catalog": 8081, "orders": 8082, "payments": 8083, "marketing": 8084,
         "analytics": 8085,
         "fulfilment": 8086, "notifications": 8087, "alipay_sandbox": 8090, "logistics_sandbox": 8091}
