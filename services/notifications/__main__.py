"""`python -m services.notifications`: run the notifications service."""

from services.notifications.app import create_app
from services.notifications.settings import NotificationsSettings
from shared.service import run_service

if __name__ == "__main__":
    run_service(create_app, NotificationsSettings())
