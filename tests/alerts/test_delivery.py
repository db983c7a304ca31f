"""Webhook and email delivery against real local servers; signing; target validation."""

from __future__ import annotations

import email
import email.policy
import socket
import ssl
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from pydantic import SecretStr

from duluan.alerts.delivery import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    DeliveryConfig,
    EmailSender,
    GuardedTransport,
    Notifier,
    SmtpConfig,
    TargetRefused,
    WebhookSender,
    make_test_event,
    send_test,
    sign,
    validate_webhook_url,
    verify_signature,
)
from duluan.alerts.models import EmailTarget, Subscription, VolumeRule, WebhookTarget
from duluan.core.secretbox import UNREADABLE_SECRET
from duluan.core.settings import Settings
from tests.alerts.conftest import Hook

SECRET = "s3cret-s3cret-s3cret"
PASSWORD = "hunter2-smtp-password"


def subscription(*targets: Any) -> Subscription:
    return Subscription(name="xăng", rule=VolumeRule(), targets=list(targets))


def test_sign_and_verify() -> None:
    body = b'{"a": 1}'
    now = time.time()
    sig = sign(SECRET, int(now), body)
    assert sig.startswith("v1=") and len(sig) == 3 + 64
    assert verify_signature(SECRET, str(int(now)), body, sig, now=now)
    assert verify_signature(SECRET, int(now), body, f"v1=dead, {sig}", now=now)  # key rotation
    assert not verify_signature(SECRET, int(now), body + b" ", sig, now=now)
    assert not verify_signature("other-secret-1234", int(now), body, sig, now=now)
    assert not verify_signature(SECRET, int(now), body, sig, tolerance_s=300, now=now + 301)
    assert not verify_signature(SECRET, "not-a-number", body, sig)


def test_webhook_retries_after_500_and_is_signed(hook: Hook) -> None:
    hook.statuses = [500, 503, 200]
    sleeps: list[float] = []
    config = DeliveryConfig(allow_private_targets=True, backoff_s=0.5, max_attempts=4)
    target = WebhookTarget(url=hook.url, secret=SECRET)
    event = make_test_event(subscription(target))
    result = WebhookSender(config, sleep=sleeps.append).send(event, target)
    assert result.status == "delivered" and result.attempts == 3 and result.status_code == 200
    assert len(sleeps) == 2 and 0.5 <= sleeps[0] <= 0.625 and 1.0 <= sleeps[1] <= 1.25
    assert len(hook.requests) == 3
    for headers, body in hook.requests:
        assert headers["Content-Type"] == "application/json"
        assert verify_signature(
            SECRET, headers["X-Duluan-Timestamp"], body, headers["X-Duluan-Signature"]
        )
        assert headers["X-Duluan-Event"] == event.id
    # one delivery id across the retries, so receivers can deduplicate
    assert len({h["X-Duluan-Delivery"] for h, _ in hook.requests}) == 1


def test_webhook_gives_up_on_4xx_and_after_max_attempts(hook: Hook) -> None:
    config = DeliveryConfig(allow_private_targets=True, backoff_s=0, max_attempts=3)
    target = WebhookTarget(url=hook.url, secret=SECRET)
    event = make_test_event(subscription(target))
    hook.statuses = [404]
    r = WebhookSender(config, sleep=lambda s: None).send(event, target)
    assert r.status == "failed" and r.attempts == 1 and r.error == "HTTP 404"
    hook.statuses = [500, 500, 500]
    r = WebhookSender(config, sleep=lambda s: None).send(event, target)
    assert r.status == "failed" and r.attempts == 3 and r.status_code == 500
    # a closed port: connection errors are retried too
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    closed = WebhookTarget(url=f"http://127.0.0.1:{port}/x", secret=SECRET)
    r = WebhookSender(config, sleep=lambda s: None).send(event, closed)
    assert r.status == "failed" and r.attempts == 3 and "ConnectError" in (r.error or "")


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1/hook",
        "http://127.0.0.1:8000/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://192.168.1.10/",
        "http://172.16.0.1/",
        "http://100.64.0.1/",
        "http://0.0.0.0/",
        "http://localhost:9200/",
    ],
)
def test_internal_targets_are_refused_by_default(url: str) -> None:
    with pytest.raises(TargetRefused):
        validate_webhook_url(url)
    validate_webhook_url(url, allow_private=True)  # explicitly allowed


def test_hostnames_are_resolved_before_checking() -> None:
    def resolver(host: str, port: int) -> list[str]:
        return {
            "evil.example": ["93.184.216.34", "169.254.169.254"],
            "ok.example": ["93.184.216.34"],
        }[host]

    with pytest.raises(TargetRefused, match=r"169\.254\.169\.254"):
        validate_webhook_url("https://evil.example/h", resolver=resolver)
    validate_webhook_url("https://ok.example/h", resolver=resolver)
    validate_webhook_url("https://8.8.8.8/h")
    with pytest.raises(TargetRefused):
        validate_webhook_url("ftp://8.8.8.8/h")


def test_refused_target_is_logged_not_sent(hook: Hook) -> None:
    target = WebhookTarget(url=hook.url, secret=SECRET)
    results = send_test(subscription(target), DeliveryConfig())  # private not allowed
    assert results[0].status == "refused" and "internal address" in (results[0].error or "")
    assert hook.requests == []


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope)
        return "250 OK"


def _auth(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    ok = (
        isinstance(data, LoginPassword)
        and data.login == b"alerts"
        and data.password == PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def smtp_server() -> Iterator[tuple[_Inbox, int]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = _Inbox()
    controller = Controller(
        inbox, hostname="127.0.0.1", port=port, authenticator=_auth, auth_require_tls=False
    )
    controller.start()
    yield inbox, port
    controller.stop()


def test_email_is_delivered_over_smtp(
    smtp_server: tuple[_Inbox, int], capsys: pytest.CaptureFixture[str]
) -> None:
    inbox, port = smtp_server
    config = DeliveryConfig(
        smtp=SmtpConfig(
            host="127.0.0.1",
            port=port,
            user="alerts",
            password=SecretStr(PASSWORD),
            starttls=False,
            sender="duluan@example.org",
        )
    )
    target = EmailTarget(to=["ops@example.org", "an@example.org"])
    results = Notifier(config).send_test(subscription(target))
    assert results[0].status == "delivered" and results[0].attempts == 1
    assert len(inbox.messages) == 1
    env = inbox.messages[0]
    assert env.mail_from == "duluan@example.org"
    assert env.rcpt_tos == ["ops@example.org", "an@example.org"]
    msg = email.message_from_bytes(env.content, policy=email.policy.default)
    assert str(msg["Subject"]).startswith("[duluan test] xăng: test alert")
    body = msg.get_body(("plain",))
    assert body is not None and "no threshold was crossed" in body.get_content()
    # a wrong password fails without retrying forever, and the password is never logged
    bad = config.model_copy(
        update={
            "smtp": config.smtp.model_copy(  # type: ignore[union-attr]
                update={"password": SecretStr("wrong")}
            ),
            "max_attempts": 2,
            "backoff_s": 0,
        }
    )
    r = EmailSender(bad, sleep=lambda s: None).send(make_test_event(subscription(target)), target)
    assert r.status == "failed" and r.status_code == 535 and r.attempts == 1
    out = capsys.readouterr()
    assert PASSWORD not in out.out + out.err and "wrong" not in (r.error or "")
    assert PASSWORD not in repr(config) and PASSWORD not in config.model_dump_json()


def test_email_without_smtp_config_is_refused() -> None:
    target = EmailTarget(to=["ops@example.org"])
    r = send_test(subscription(target), DeliveryConfig())[0]
    assert r.status == "refused" and "smtp_host" in (r.error or "")


def test_email_retries_when_server_is_down() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = DeliveryConfig(
        max_attempts=3,
        backoff_s=0,
        smtp=SmtpConfig(host="127.0.0.1", port=port, starttls=False, timeout_s=2),
    )
    target = EmailTarget(to=["ops@example.org"])
    r = EmailSender(config, sleep=lambda s: None).send(
        make_test_event(subscription(target)), target
    )
    assert r.status == "failed" and r.attempts == 3


def test_delivery_config_from_settings() -> None:
    settings = Settings(
        alerts_allow_private_targets=True,
        smtp_host="mail.example.org",
        smtp_port=2525,
        smtp_user="u",
        smtp_password=SecretStr("p"),
        smtp_from="a@example.org",
    )
    cfg = DeliveryConfig.from_settings(settings)
    assert cfg.allow_private_targets and cfg.smtp is not None and cfg.smtp.port == 2525
    assert cfg.smtp.password is not None and cfg.smtp.password.get_secret_value() == "p"
    assert DeliveryConfig.from_settings(Settings()).smtp is None
    # the config's own defaults are the settings' defaults (one place)
    assert DeliveryConfig().max_attempts == Settings().alerts_max_attempts


# -- DNS rebinding: the connection goes to the address that was checked ----------------------

_real_getaddrinfo = socket.getaddrinfo
PUBLIC_IP = "93.184.216.34"


def _fake_dns(monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[str]]) -> dict[str, int]:
    """Patch socket.getaddrinfo: `host` answers the next address of its list on each lookup
    (the last one repeats); other hosts resolve for real. Returns lookups per host."""
    lookups: dict[str, int] = {}

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in answers:
            return _real_getaddrinfo(host, port, *args, **kwargs)
        n = lookups[host] = lookups.get(host, 0) + 1
        address = answers[host][min(n, len(answers[host])) - 1]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port or 0)))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return lookups


def test_a_name_rebinding_to_loopback_never_reaches_the_local_server(
    hook: Hook, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Public on the first lookup, 127.0.0.1 on later ones: a check-then-connect client would
    check the public answer and connect to the loopback one; here the sender dials only the
    address it checked, and a retry that resolves to 127.0.0.1 is refused before connecting."""
    port = int(hook.url.split(":")[2].split("/")[0])
    lookups = _fake_dns(monkeypatch, {"hooks.example": [PUBLIC_IP, "127.0.0.1"]})
    dialled: list[tuple[str, int]] = []
    real_connect = socket.create_connection

    def create_connection(address: tuple[str, int], *args: Any, **kwargs: Any) -> Any:
        dialled.append((address[0], int(address[1])))
        if address[0] == PUBLIC_IP:  # no real internet in tests: that public host is down
            raise ConnectionRefusedError("refused (test)")
        return real_connect(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", create_connection)
    url = f"http://hooks.example:{port}/hook"
    config = DeliveryConfig(backoff_s=0, max_attempts=3)
    target = WebhookTarget(url=url, secret=SECRET)
    result = WebhookSender(config, sleep=lambda s: None).send(
        make_test_event(subscription(target)), target
    )
    assert hook.requests == []
    assert dialled == [(PUBLIC_IP, port)]  # one lookup, one connection, to the checked address
    assert result.status == "refused" and "127.0.0.1" in (result.error or "")
    assert result.attempts == 2 and lookups["hooks.example"] == 2


def test_allowed_internal_targets_connect_to_the_resolved_address_with_the_host_header(
    hook: Hook, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = int(hook.url.split(":")[2].split("/")[0])
    _fake_dns(monkeypatch, {"hooks.internal": ["127.0.0.1"]})
    target = WebhookTarget(url=f"http://hooks.internal:{port}/hook", secret=SECRET)
    event = make_test_event(subscription(target))
    refused = WebhookSender(DeliveryConfig(), sleep=lambda s: None).send(event, target)
    assert refused.status == "refused" and hook.requests == []
    config = DeliveryConfig(allow_private_targets=True, backoff_s=0)
    result = WebhookSender(config, sleep=lambda s: None).send(event, target)
    assert result.status == "delivered", result.error
    headers, body = hook.requests[0]
    assert headers["Host"] == f"hooks.internal:{port}"
    assert verify_signature(SECRET, headers[TIMESTAMP_HEADER], body, headers[SIGNATURE_HEADER])


def _tls_material(tmp_path: Path, name: str) -> tuple[Path, Path]:
    """A self-signed certificate for `name` and its key, as PEM files."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_pinned_https_still_checks_sni_and_certificate_for_the_hostname(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cert, key = _tls_material(tmp_path, "hooks.example")
    seen_sni: list[str | None] = []
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(cert, key)
    server_ctx.sni_callback = lambda sock, name, ctx: seen_sni.append(name)  # type: ignore[assignment]
    hook = Hook()
    hook.server.socket = server_ctx.wrap_socket(hook.server.socket, server_side=True)
    port = hook.server.server_address[1]
    _fake_dns(monkeypatch, {"hooks.example": ["127.0.0.1"], "other.example": ["127.0.0.1"]})
    client_ctx = ssl.create_default_context(cafile=str(cert))
    try:
        transport = GuardedTransport(allow_private=True, verify=client_ctx)
        with httpx.Client(transport=transport) as client:
            r = client.post(f"https://hooks.example:{port}/hook", content=b"{}")
            assert r.status_code == 200 and seen_sni == ["hooks.example"]
            # same address, another name: the certificate does not match it, nothing is sent
            with pytest.raises(httpx.ConnectError, match=r"(?i)certificate|hostname"):
                client.post(f"https://other.example:{port}/hook", content=b"{}")
        assert len(hook.requests) == 1
        refused = GuardedTransport(verify=client_ctx)  # internal not allowed
        with httpx.Client(transport=refused) as client, pytest.raises(TargetRefused):
            client.post(f"https://hooks.example:{port}/hook", content=b"{}")
        assert len(hook.requests) == 1
    finally:
        hook.close()


def test_an_undecryptable_secret_is_refused_not_signed(hook: Hook) -> None:
    target = WebhookTarget(url=hook.url, secret=UNREADABLE_SECRET)
    config = DeliveryConfig(allow_private_targets=True)
    result = WebhookSender(config).send(make_test_event(subscription(target)), target)
    assert result.status == "refused" and "decrypted" in (result.error or "")
    assert hook.requests == []
