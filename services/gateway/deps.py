"""What the gateway's jobs are given: the shared Deps with the gateway's settings. (Its api code still reaches
the upstream client, limiter and key ring through app keys of its own.)"""

from __future__ import annotations

from services.gateway.settings import GatewaySettings
from shared.service import Deps

GatewayDeps = Deps[GatewaySettings]
