"""What analytics' handlers are given: the shared Deps with analytics' settings."""

from __future__ import annotations

from services.analytics.settings import AnalyticsSettings
from shared.service import Deps

AnalyticsDeps = Deps[AnalyticsSettings]
