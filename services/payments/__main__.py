"""python -m services.payments"""

from services.payments.app import create_app
from services.payments.settings import PaymentsSettings
from shared.service import run_service

if __name__ == "__main__":
    run_service(create_app, PaymentsSettings())
