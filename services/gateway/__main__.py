from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings
from shared.service import run_service

if __name__ == "__main__":
    run_service(create_app, GatewaySettings())
