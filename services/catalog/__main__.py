"""`python -m services.catalog`: run the catalog service."""

from services.catalog.app import create_app
from services.catalog.settings import CatalogSettings
from shared.service import run_service

if __name__ == "__main__":
    run_service(create_app, CatalogSettings())
