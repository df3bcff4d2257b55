"""`python -m services.fulfilment`: run the fulfilment service."""

from services.fulfilment.app import create_app
from services.fulfilment.settings import FulfilmentSettings
from shared.service import run_service

if __name__ == "__main__":
    run_service(create_app, FulfilmentSettings())
