"""The broker on Redis: with both queues declared, as a worker declares them, a task sent to
one queue waits in that queue only (crisis work is never copied behind the ordinary backlog);
a task's headers carry no post text; a channel shares one Redis client, which parses replies
with hiredis; rediss:// verifies the server's certificate; the API and a worker do their
one-time set-up at start, and start even when the broker or the database is away then."""

from __future__ import annotations

import base64
import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis
from celery import Celery
from haven import broker_transport
from haven.config import Settings
from haven.counters_redis import RedisCounterStore
from haven.domain import Author, Post
from haven.queues import CRISIS_QUEUE, DEFAULT_QUEUE, QUEUES
from haven.state_redis import COMPACT_MEMBER_BYTES
from haven.tasks import EVALUATE, CeleryWorkQueue, WorkerRuntime, create_celery_app, send_evaluate
from redis._parsers import _HiredisParser

from tests.integration.harness import OwnRedis, delete_keys, free_port, new_key_prefix, redis_answers, wait_until

pytestmark = pytest.mark.integration


def settings(redis_url: str, postgres_url: str, prefix: str, **more: str) -> Settings:
    return Settings.from_env(
        {"HAVEN_REDIS_URL": redis_url, "HAVEN_DATABASE_URL": postgres_url, "HAVEN_REDIS_KEY_PREFIX": prefix, **more}
    )


def celery_app(redis_url: str, postgres_url: str, prefix: str) -> Celery:
    return create_celery_app(settings(redis_url, postgres_url, prefix))


@pytest.mark.parametrize("queue", QUEUES)
def test_a_task_sent_to_one_queue_lands_in_that_queue_only(queue: str, redis_url: str, postgres_url: str) -> None:
    prefix = new_key_prefix()
    app = celery_app(redis_url, postgres_url, prefix)
    client = redis.Redis.from_url(redis_url)
    try:
        # Declare every queue as a worker does at start (the bindings live in Redis), then,
        # with no worker running, send one task and see where it waits.
        with app.connection_for_write() as connection:
            for declared in app.amqp.queues.values():
                declared(connection.default_channel).declare()
        app.send_task(EVALUATE, args=[[], "2026-01-01T00:00:00+00:00"], queue=queue)
        waiting = {name: client.llen(prefix + name) for name in (CRISIS_QUEUE, DEFAULT_QUEUE)}
        assert waiting == {name: int(name == queue) for name in (CRISIS_QUEUE, DEFAULT_QUEUE)}
    finally:
        app.close()
        client.close()
        delete_keys(redis_url, prefix)


def test_a_queued_task_shows_its_posts_by_count_not_by_their_words(redis_url: str, postgres_url: str) -> None:
    prefix = new_key_prefix()
    app = celery_app(redis_url, postgres_url, prefix)
    client = redis.Redis.from_url(redis_url)
    words = "my sponsor Dana said at Tuesday's meeting"
    post = Post(platform="p", community="c", external_id="1", author=Author(id="a"), body=words)
    try:
        send_evaluate(app, [post], [datetime.now(UTC)], DEFAULT_QUEUE)
        raw = client.lindex(prefix + DEFAULT_QUEUE, 0)
        assert raw is not None
        message = json.loads(raw)
        # Celery's own headers (what monitors, events and its logs show) carry no text; the
        # body, which the worker decodes, does.
        assert message["headers"]["argsrepr"] == "(1 posts)"
        assert words not in json.dumps(message["headers"])
        assert words in base64.b64decode(message["body"]).decode()
    finally:
        app.close()
        client.close()
        delete_keys(redis_url, prefix)


def test_a_channel_sends_its_commands_through_one_client_until_its_pool_is_replaced(
    redis_url: str, postgres_url: str
) -> None:
    prefix = new_key_prefix()
    app = celery_app(redis_url, postgres_url, prefix)
    client = redis.Redis.from_url(redis_url)
    try:
        with app.connection_for_write() as connection:
            channel = connection.default_channel
            assert isinstance(channel, broker_transport.Channel)
            for declared in app.amqp.queues.values():
                declared(channel).declare()
            shared = channel._create_client()
            # Replies are parsed by hiredis (C), not redis-py's Python parser (docs/dependencies.md).
            connection_used = shared.connection_pool.get_connection()
            assert isinstance(connection_used._parser, _HiredisParser)
            shared.connection_pool.release(connection_used)
            app.send_task(EVALUATE, args=[[], "2026-01-01T00:00:00+00:00"], queue=DEFAULT_QUEUE)
            # Taken as a worker takes it: kept as unacknowledged until the acknowledgement.
            message = channel.basic_get(DEFAULT_QUEUE, no_ack=False)
            assert message is not None
            assert client.hlen(prefix + "unacked") == 1
            message.ack()
            assert client.hlen(prefix + "unacked") == 0
            assert channel._create_client() is shared
            channel._pool = None  # as kombu does when it drops its connections
            assert channel._create_client() is not shared
            assert channel._create_client().ping()
    finally:
        app.close()
        client.close()
        delete_keys(redis_url, prefix)


def _tls_redis_files(folder: Path) -> tuple[Path, Path, Path]:
    """A certificate authority of the test's own and a server certificate for 127.0.0.1."""

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)

    key = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    openssl("req", "-x509", *key, "-keyout", "ca.key", "-out", "ca.pem", "-days", "1", "-subj", "/CN=haven test CA")
    openssl("req", *key, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1")
    (folder / "san.cnf").write_text("subjectAltName=IP:127.0.0.1\n")
    openssl(
        "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "server.pem", "-days", "1", "-extfile", "san.cnf",
    )  # fmt: skip
    return folder / "ca.pem", folder / "server.pem", folder / "server.key"


def test_a_rediss_broker_verifies_the_servers_certificate(tmp_path: Path, postgres_url: str) -> None:
    ca, certificate, key = _tls_redis_files(tmp_path)
    port = free_port()
    server = subprocess.Popen(
        [
            "redis-server", "--port", "0", "--tls-port", str(port), "--bind", "127.0.0.1",
            "--tls-cert-file", str(certificate), "--tls-key-file", str(key), "--tls-ca-cert-file", str(ca),
            "--tls-auth-clients", "no", "--save", "", "--appendonly", "no",
        ],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    trusted = f"rediss://127.0.0.1:{port}/0?ssl_ca_certs={ca}"
    try:
        wait_until(lambda: redis_answers(trusted), timeout=20)
        app = celery_app(trusted, postgres_url, new_key_prefix())
        try:
            with app.connection_for_write() as connection:
                channel = connection.default_channel
                assert isinstance(channel, broker_transport.Channel)
                channel.queue_declare(DEFAULT_QUEUE)
                app.send_task(EVALUATE, args=[[], "2026-01-01T00:00:00+00:00"], queue=DEFAULT_QUEUE)
                assert channel.basic_get(DEFAULT_QUEUE, no_ack=True) is not None
        finally:
            app.close()
        # Without the authority that signed it, the server's certificate is refused: the
        # broker carries the posts' text and must not talk to whoever answers.
        untrusting = celery_app(f"rediss://127.0.0.1:{port}/0", postgres_url, new_key_prefix())
        try:
            with untrusting.connection_for_write() as connection, pytest.raises(Exception, match="certificate verify"):
                connection.default_channel.client.ping()
        finally:
            untrusting.close()
    finally:
        server.kill()
        server.wait(timeout=10)


def test_the_api_opens_its_broker_channel_at_start_and_starts_without_a_broker_too(
    redis_url: str, postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    prefix = new_key_prefix()
    queue = CeleryWorkQueue.from_settings(settings(redis_url, postgres_url, prefix))
    try:
        queue.start()
        # The connection the first post will be sent on is open before that post comes.
        with queue._app.producer_or_acquire() as producer:
            assert producer.connection.connected
    finally:
        queue.close()
    away = CeleryWorkQueue.from_settings(settings(f"redis://127.0.0.1:{free_port()}/0", postgres_url, prefix))
    try:
        away.start()  # a broker away is the first post's to report, not the start's
        assert "queue.warm_up_failed" in caplog.text
    finally:
        away.close()


def test_a_worker_says_when_the_state_redis_keeps_turns_in_large_sets(
    redis_url: str, postgres_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Redis's default listpack limits (64 bytes) are below a turn's size, so every author's
    set and most threads' hashes take several times the memory: the worker names each
    setting that is too low at start."""
    own = OwnRedis(tmp_path)
    own.start()
    try:
        for zset, hash_, told in (
            ("64", "64", {"zset-max-listpack-value": 64, "hash-max-listpack-value": 64}),
            (str(COMPACT_MEMBER_BYTES), "128", {"hash-max-listpack-value": 128}),
            (str(COMPACT_MEMBER_BYTES), str(COMPACT_MEMBER_BYTES), {}),
        ):
            client = redis.Redis.from_url(own.url)
            client.config_set("zset-max-listpack-value", zset)
            client.config_set("hash-max-listpack-value", hash_)
            client.close()
            caplog.clear()
            worker = WorkerRuntime.from_settings(
                settings(redis_url, postgres_url, new_key_prefix(), HAVEN_STATE_REDIS_URL=own.url)
            )
            try:
                worker.warm_up()
            finally:
                worker.services.close()
            found = [r for r in caplog.records if r.getMessage() == "conversations.redis_sets_not_compact"]
            assert {r.redis_setting: r.configured for r in found} == told
            assert all(r.recommended == COMPACT_MEMBER_BYTES for r in found)
    finally:
        own.kill()


def test_a_worker_warms_up_before_its_first_task_and_starts_without_a_database_too(
    redis_url: str, postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    kept = settings(redis_url, postgres_url, new_key_prefix(), HAVEN_COUNTER_WINDOW_SECONDS=str(3 * 86400))
    worker = WorkerRuntime.from_settings(kept)
    try:
        worker.warm_up()
        assert "worker.warm_up_failed" not in caplog.text
        # The counters' client speaks RESP2, where a sorted set's scores arrive as they are read
        # (RESP3 in redis-py turns each into text and back; see WorkerRuntime.from_settings).
        counters = worker.pipeline.counters
        assert isinstance(counters, RedisCounterStore)
        assert counters._redis.connection_pool.connection_kwargs["protocol"] == 2
        assert counters._keep == 3 * 86400  # HAVEN_COUNTER_WINDOW_SECONDS
    finally:
        worker.services.close()
    away = WorkerRuntime.from_settings(
        settings(redis_url, f"postgresql://postgres@127.0.0.1:{free_port()}/test", new_key_prefix())
    )
    try:
        away.warm_up()  # a database away is the first task's to report and retry, not the start's
        assert "worker.warm_up_failed" in caplog.text
    finally:
        away.services.close()
