from services.marketing.app import create_app
from services.marketing.settings import MarketingSettings
from shared.service import run_service

if __name__ == "__main__":
    run_service(create_app, MarketingSettings())
