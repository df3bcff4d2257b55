"""A stand-in for 快递100 (the logistics aggregator) for local runs and tests: subscriptions by `POST /poll`,
and signed pushes to the subscriber's callbackurl when a test or demo advances a shipment. State is in
memory; no database, no bus. Development only."""
