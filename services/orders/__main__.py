from services.orders.app import create_app
from services.orders.settings import OrdersSettings
from shared.service import run_service

if __name__ == "__main__":
    run_service(create_app, OrdersSettings())
