"""python -m services.alipay_sandbox"""

from aiohttp import web

from services.alipay_sandbox.app import create_app
from services.alipay_sandbox.settings import SandboxSettings
from shared.logging import configure_logging
from shared.settings import DEVELOPMENT

if __name__ == "__main__":
    settings = SandboxSettings()
    if settings.env != DEVELOPMENT:  # it approves every payment: never a production Alipay
        raise SystemExit("alipay_sandbox refuses to start: it is a stand-in for Alipay for development and tests "
                         "only; set MALL_ENV=development to run it.")
    configure_logging(settings.log_level)
    web.run_app(create_app(settings), host=settings.http_host, port=settings.http_port, print=None,
                access_log=None)
