"""python -m services.logistics_sandbox"""

from aiohttp import web

from services.logistics_sandbox.app import create_app
from services.logistics_sandbox.settings import LogisticsSandboxSettings
from shared.logging import configure_logging
from shared.settings import DEVELOPMENT

if __name__ == "__main__":
    settings = LogisticsSandboxSettings()
    if settings.env != DEVELOPMENT:  # it delivers whatever it is told to: never a production aggregator
        raise SystemExit("logistics_sandbox refuses to start: it is a stand-in for 快递100 for development and "
                         "tests only; set MALL_ENV=development to run it.")
    configure_logging(settings.log_level)
    web.run_app(create_app(settings), host=settings.http_host, port=settings.http_port, print=None,
                access_log=None)
