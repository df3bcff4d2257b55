from services.analytics.app import create_app
from services.analytics.settings import AnalyticsSettings
from shared.service import run_service

if __name__ == "__main__":
    run_service(create_app, AnalyticsSettings())
