"""The worker's broker connection survives Redis going away (crm/broker_transport.py).

What Celery's consumer does on a lost connection, done by hand with kombu: a channel with
an unacked message (a late-acked task still running), a BRPOP in flight and a second
channel (the remote-control queue); Redis dies; then ``collect()`` and ``close()``. The
stock transport raises AttributeError there, which kills the worker."""

import shutil
import socket
import subprocess
import time

import pytest
from kombu import Connection, Exchange, Queue

from crm.broker_transport import Transport


def _redis():
    """A throw-away redis-server on a free port (another picked port in the rare case the
    first was taken between choosing and binding). TCP, because kombu lets a
    redis+socket:// URL override the transport under test."""
    for _ in range(5):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        proc = subprocess.Popen([shutil.which("redis-server"), "--port", str(port), "--bind", "127.0.0.1",
                                 "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return proc, port
            except OSError:
                time.sleep(0.05)
        proc.kill()
        proc.wait()
    raise RuntimeError("redis-server did not start")


def _lose_the_broker_with_a_task_running(transport):
    server, port = _redis()
    conn = Connection(f"redis://127.0.0.1:{port}/0", transport=transport,
                      transport_options={"visibility_timeout": 7200})
    try:
        queue = Queue("celery", Exchange("celery", "direct"), "celery")
        channel = conn.default_channel
        with conn.Producer() as producer:
            producer.publish({"task": 1}, exchange=queue.exchange, routing_key="celery", declare=[queue])
        received = []
        consumer = conn.Consumer([queue], callbacks=[lambda body, message: received.append(message)],
                                 channel=channel)
        consumer.qos(prefetch_count=8)
        consumer.consume()
        control = Queue("w1@host.celery.pidbox", Exchange("celery.pidbox", "fanout"), auto_delete=True)
        conn.Consumer([control], callbacks=[lambda body, message: None], channel=conn.channel(), no_ack=True).consume()
        deadline = time.monotonic() + 10
        while not received:
            assert time.monotonic() < deadline, "the message never arrived"
            try:
                conn.drain_events(timeout=0.5)
            except socket.timeout:
                pass
        if not channel._in_poll:
            channel._brpop_start()  # the worker's event loop always has one in flight
        server.kill()
        server.wait()
        try:
            conn.collect(socket_timeout=2.0)  # Celery ignores what this raises
        except Exception:
            pass
        conn.close()  # Celery ignores connection errors only
    finally:
        if server.poll() is None:
            server.kill()


def test_it_lets_the_worker_survive_losing_redis_with_a_task_running():
    _lose_the_broker_with_a_task_running(Transport)  # raises nothing


def test_the_stock_transport_is_what_killed_the_worker():
    from kombu.transport.redis import Transport as Stock

    with pytest.raises(AttributeError, match="hostname"):
        _lose_the_broker_with_a_task_running(Stock)


@pytest.mark.parametrize("url", ["redis://127.0.0.1:6379/0", "rediss://127.0.0.1:6380/0",
                                 "redis+socket:///tmp/relasi-redis.sock"])
def test_it_is_the_transport_celery_uses_for_every_redis_url(url):
    from crm.celery import app

    with app.connection_for_write(url) as conn:
        assert isinstance(conn.transport, Transport)
