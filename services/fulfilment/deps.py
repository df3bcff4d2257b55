"""What fulfilment's handlers are given: the shared Deps with fulfilment's settings."""

from __future__ import annotations

from services.fulfilment.settings import FulfilmentSettings
from shared.service import Deps

FulfilmentDeps = Deps[FulfilmentSettings]
