"""The Redis broker transport, made to survive a broker outage.

Installed by ``crm/celery.py`` (``install()``) under kombu's ``redis`` and ``rediss``
names, so every URL form gets it (``redis://``, ``rediss://``, ``redis+socket://``: an
explicit ``broker_transport`` setting would be overridden by a ``redis+socket`` scheme).

Why it exists (kombu 5.7 / celery 5.7): when Redis goes away while late-acked tasks are
running, the worker's consumer calls ``connection.collect()`` and then
``connection.close()``. In the first pass kombu's ``Channel.close()`` tries to finish the
BRPOP in flight and tolerates only ``Empty``; the dead socket raises ``ConnectionError``,
which aborts ``close()`` before the channel is marked closed. ``collect()`` then detaches
the transport (``transport.client = None``), so the second pass re-enters the still-open
channel, tries to restore the unacked messages, builds a connection pool from
``self.connection.client`` (None) and raises
``AttributeError: 'NoneType' object has no attribute 'hostname'`` — not a connection
error, so it escapes and the worker exits ("Unrecoverable error"). Seen in production-
shape tests: the worker died within seconds of Redis stopping.

Two small changes: a BRPOP that can never be answered on a dead socket counts as "no
message", so ``close()`` runs to its end; and a channel whose transport was detached
builds its connection parameters from the broker address it was created with (late acks
after the reconnect then reach Redis, or fail with a real connection error that kombu and
celery handle). tests/marketing/test_broker_transport.py reproduces the crash.
"""

from queue import Empty
from types import SimpleNamespace

from kombu.transport import redis as kombu_redis


class Channel(kombu_redis.Channel):
    def __init__(self, connection, *args, **kwargs):
        self._broker_client = connection.client
        self._broker_default_port = connection.default_port
        super().__init__(connection, *args, **kwargs)

    def close(self):
        if self._in_poll:
            try:
                self._brpop_read()
            except (Empty, *self.connection_errors):
                pass  # the reply cannot come: the socket is gone and we are closing anyway
        super().close()

    def _connparams(self, asynchronous=False):
        transport = self.connection
        if transport is not None and transport.client is not None:
            return super()._connparams(asynchronous=asynchronous)
        self.connection = SimpleNamespace(client=self._broker_client, default_port=self._broker_default_port)
        try:
            return super()._connparams(asynchronous=asynchronous)
        finally:
            self.connection = transport


class Transport(kombu_redis.Transport):
    Channel = Channel


def install() -> None:
    """Make this the transport for every redis URL in this process."""
    from kombu.transport import TRANSPORT_ALIASES

    for name in ("redis", "rediss"):
        TRANSPORT_ALIASES[name] = f"{__name__}:Transport"
