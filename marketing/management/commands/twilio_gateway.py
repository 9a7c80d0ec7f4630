"""``manage.py twilio_gateway``: the local Twilio-compatible gateway (marketing/gateway.py)."""

from django.conf import settings
from django.core.management.base import BaseCommand

from marketing.gateway import make_server


class Command(BaseCommand):
    help = "Run the local Twilio-compatible SMS gateway on loopback."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--host", default="127.0.0.1")

    def handle(self, *args, host, port, **opts):
        sid = settings.TWILIO_ACCOUNT_SID or "ACdev"
        token = settings.TWILIO_AUTH_TOKEN or "dev-token"
        server = make_server(host, port, sid, token)
        self.stdout.write(f"Twilio-compatible gateway on http://{host}:{port} (account {sid})")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            server.server_close()
