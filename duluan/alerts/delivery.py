"""Deliver AlertEvents: signed webhooks and SMTP email, with retries and a delivery log.

Webhooks carry `X-Duluan-Timestamp` and `X-Duluan-Signature: v1=<hex HMAC-SHA256 of
"timestamp.body">`; receivers check them with `verify_signature`. Webhook hosts are resolved and
refused when internal (loopback, private, link-local, cloud metadata) unless explicitly allowed,
so a subscriber cannot point the server at its own network; the connection goes to the address
that was checked (`GuardedTransport`), so a name that re-resolves (DNS rebinding) cannot slip
past. Secrets and the SMTP password are never logged.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import random
import smtplib
import socket
import ssl
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

import httpcore
import httpx
from pydantic import BaseModel, Field, SecretStr

from duluan.alerts.evaluate import AlertEvent
from duluan.alerts.models import EmailTarget, Subscription, WebhookTarget
from duluan.core.logging import get_logger
from duluan.core.models import utcnow
from duluan.core.secretbox import UNREADABLE_SECRET
from duluan.core.settings import Settings, setting_default

if TYPE_CHECKING:
    from duluan.alerts.repository import AlertRepository

log = get_logger(__name__)

SIGNATURE_HEADER = "X-Duluan-Signature"
TIMESTAMP_HEADER = "X-Duluan-Timestamp"
EVENT_HEADER = "X-Duluan-Event"
DELIVERY_HEADER = "X-Duluan-Delivery"

Resolver = Callable[[str, int], list[str]]


class TargetRefused(ValueError):
    """The webhook URL points somewhere this server must not call (or cannot be resolved)."""


class SmtpConfig(BaseModel):
    host: str
    port: int = 587
    user: str | None = None
    password: SecretStr | None = None
    sender: str = "duluan@localhost"
    starttls: bool = True
    ssl: bool = Field(default=False, description="implicit TLS (port 465) instead of STARTTLS")
    timeout_s: float = 10.0


class DeliveryConfig(BaseModel):
    """How deliveries are made; defaults are those of the `alerts_*` / `smtp_*` settings."""

    allow_private_targets: bool = setting_default("alerts_allow_private_targets")
    webhook_timeout_s: float = setting_default("alerts_webhook_timeout_s")
    max_attempts: int = Field(default=setting_default("alerts_max_attempts"), ge=1, le=10)
    backoff_s: float = Field(
        default=setting_default("alerts_backoff_s"), ge=0, description="first retry delay; doubles"
    )
    backoff_max_s: float = 60.0
    user_agent: str = "duluan-alerts/0.1"
    smtp: SmtpConfig | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> DeliveryConfig:
        smtp = None
        if settings.smtp_host:
            smtp = SmtpConfig(
                host=settings.smtp_host,
                port=settings.smtp_port,
                user=settings.smtp_user,
                password=settings.smtp_password,
                sender=settings.smtp_from,
                starttls=settings.smtp_starttls,
                ssl=settings.smtp_ssl,
            )
        return cls(
            allow_private_targets=settings.alerts_allow_private_targets,
            webhook_timeout_s=settings.alerts_webhook_timeout_s,
            max_attempts=settings.alerts_max_attempts,
            backoff_s=settings.alerts_backoff_s,
            smtp=smtp,
        )


class DeliveryResult(BaseModel):
    """One delivery to one target, as written to the delivery log."""

    channel: Literal["webhook", "email"]
    target: str = Field(description="redacted: URL without query/credentials, or addresses")
    status: Literal["delivered", "failed", "refused"]
    attempts: int = 0
    status_code: int | None = None
    error: str | None = None
    event_id: str | None = None
    subscription_id: str | None = None
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    test: bool = False


# -- signing ------------------------------------------------------------------------------------


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """`v1=<hex>` HMAC-SHA256 over `timestamp.body`."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def verify_signature(
    secret: str,
    timestamp: int | str,
    body: bytes,
    signature: str,
    tolerance_s: float = 300,
    now: float | None = None,
) -> bool:
    """True if `signature` (one or several comma-separated `v1=`) matches and is fresh enough."""
    try:
        ts = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - ts) > tolerance_s:
        return False
    expected = sign(secret, ts, body)
    return any(hmac.compare_digest(expected, part.strip()) for part in signature.split(","))


# -- target validation ----------------------------------------------------------------------------


def _resolve(host: str, port: int) -> list[str]:
    """Every address of `host`, in the resolver's order of preference, without repeats."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052 well-known prefix
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")  # RFC 8215 local-use prefix


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries, in any form that reaches it: IPv4-mapped
    (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::/96, 64:ff9b:1::/48),
    6to4 (2002::/16) and Teredo (its client)."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    packed = int(ip)
    if ip in _NAT64 or ip in _NAT64_LOCAL:
        return ipaddress.IPv4Address(packed & 0xFFFFFFFF)
    if packed >> 32 == 0 and packed > 1:  # ::a.b.c.d (not :: nor ::1, judged as IPv6)
        return ipaddress.IPv4Address(packed)
    return None


def is_public_address(address: str) -> bool:
    """The one check of every outbound target (alert and briefing webhooks, at creation and at
    connect time): a globally routable unicast address, the IPv4 inside IPv6 forms included."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        inner = embedded_ipv4(ip)
        if inner is not None:
            return inner.is_global and not inner.is_multicast
    return ip.is_global and not ip.is_multicast


_is_public = is_public_address


def _host_port(url: str) -> tuple[str, int]:
    """The host and port of an http(s) URL, or TargetRefused saying what is wrong with it."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetRefused("webhook url must be http(s)://host/...")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise TargetRefused(f"bad port in webhook url: {exc}") from exc
    return parts.hostname, port


def _addresses(host: str, port: int, resolver: Resolver | None) -> list[str]:
    """An IP literal as is, else one resolution; OSError when the name does not resolve."""
    try:
        return [str(ipaddress.ip_address(host.split("%", 1)[0]))]
    except ValueError:
        addresses = (resolver or _resolve)(host, port)
    if not addresses:
        raise OSError(f"webhook host {host!r} has no address")
    return addresses


def _refuse_internal(host: str, addresses: list[str]) -> None:
    internal = [a for a in addresses if not _is_public(a)]
    if internal:
        raise TargetRefused(
            f"webhook host {host!r} resolves to internal address {internal[0]} (loopback, "
            "private, link-local or metadata); set alerts_allow_private_targets to allow"
        )


def validate_webhook_url(
    url: str, *, allow_private: bool = False, resolver: Resolver | None = None
) -> None:
    """Raise TargetRefused unless `url` is http(s) and every address of its host is public.

    A check when a target is saved; sending re-checks at connect time (`GuardedTransport`).
    """
    host, port = _host_port(url)
    if allow_private:
        return
    try:
        addresses = _addresses(host, port, resolver)
    except OSError as exc:
        raise TargetRefused(f"cannot resolve webhook host {host!r}: {exc}") from exc
    _refuse_internal(host, addresses)


class _GuardedBackend(httpcore.NetworkBackend):
    """Resolve once per connection, check every address, and connect to a checked IP.

    Only the TCP destination changes: httpcore still runs TLS with the URL's hostname (SNI and
    certificate check) and httpx still sends it as Host, so nothing else sees the IP.
    """

    def __init__(self, *, allow_private: bool, resolver: Resolver | None) -> None:
        self._inner = httpcore.SyncBackend()
        self._allow_private = allow_private
        self._resolver = resolver

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            addresses = _addresses(host, port, self._resolver)
        except OSError as exc:  # a DNS hiccup: retried like any connection error
            raise httpcore.ConnectError(f"cannot resolve webhook host {host!r}: {exc}") from exc
        if not self._allow_private:
            _refuse_internal(host, addresses)  # raises TargetRefused through httpx: final
        error: Exception | None = None
        for address in addresses:
            try:
                return self._inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        assert error is not None
        raise error

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        raise TargetRefused("webhooks do not connect to unix sockets")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class GuardedTransport(httpx.HTTPTransport):
    """httpx transport that connects only to addresses it resolved and checked itself.

    Checking a name and then letting the HTTP client resolve it again leaves a window for DNS
    rebinding; here the check and the connect use the same answer. Environment proxies are not
    used (a proxy would resolve the name again, on its side).
    """

    def __init__(
        self,
        *,
        allow_private: bool = False,
        resolver: Resolver | None = None,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        super().__init__(verify=verify)
        # httpx has no public hook for a network backend; swap the pool it just built for one
        # with the guarded backend (same TLS context settings). Covered by the delivery tests.
        if not isinstance(getattr(self, "_pool", None), httpcore.ConnectionPool):
            raise RuntimeError("this httpx version keeps no `_pool`: webhooks cannot be pinned")
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(verify=verify),
            network_backend=_GuardedBackend(allow_private=allow_private, resolver=resolver),
        )


def redact_url(url: str) -> str:
    """scheme://host[:port]/path: no credentials or query (tokens often live there)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


# -- senders ------------------------------------------------------------------------------------


def _backoff(config: DeliveryConfig, attempt: int) -> float:
    """Exponential backoff with up to 25% jitter, so many failing hooks don't retry in step."""
    delay = min(config.backoff_s * 2 ** (attempt - 1), config.backoff_max_s)
    return delay * (1 + random.random() * 0.25)


def event_body(event: AlertEvent) -> bytes:
    return event.model_dump_json().encode("utf-8")


def post_signed(
    config: DeliveryConfig,
    url: str,
    secret: str,
    body: bytes,
    result: DeliveryResult,
    *,
    event_id: str,
    delivery_id: str | None = None,
    sleep: Callable[[float], None] = time.sleep,
    resolver: Resolver | None = None,
    transport: httpx.BaseTransport | None = None,
) -> DeliveryResult:
    """POST `body` signed with `secret`; retry transport errors, 408, 429 and 5xx with backoff.

    Shared by alert and briefing webhooks so one receiver verifies both the same way. Addresses
    are checked as each connection is made (`GuardedTransport`); a caller's own `transport`
    (tests) gets the older check-then-send instead.
    """
    delivery_id = delivery_id or uuid.uuid4().hex
    try:
        _host_port(url)
        if secret == UNREADABLE_SECRET:
            raise TargetRefused(
                "the webhook secret cannot be decrypted (DULUAN_SECRET_KEY or the key file "
                "changed?); set a new secret for this target"
            )
    except TargetRefused as exc:
        result.status, result.error, result.finished_at = "refused", str(exc), utcnow()
        return result
    guarded = transport is None
    with httpx.Client(
        timeout=config.webhook_timeout_s,
        follow_redirects=False,
        transport=transport
        or GuardedTransport(allow_private=config.allow_private_targets, resolver=resolver),
    ) as client:
        for attempt in range(1, config.max_attempts + 1):
            result.attempts = attempt
            try:
                if not guarded:
                    validate_webhook_url(
                        url, allow_private=config.allow_private_targets, resolver=resolver
                    )
            except TargetRefused as exc:
                result.status, result.error = "refused", str(exc)
                break
            ts = str(int(time.time()))
            headers = {
                "Content-Type": "application/json",
                "User-Agent": config.user_agent,
                TIMESTAMP_HEADER: ts,
                SIGNATURE_HEADER: sign(secret, ts, body),
                EVENT_HEADER: event_id,
                DELIVERY_HEADER: delivery_id,
            }
            retry = False
            try:
                response = client.post(url, content=body, headers=headers)
                result.status_code = response.status_code
                if 200 <= response.status_code < 300:
                    result.status, result.error = "delivered", None
                    break
                result.error = f"HTTP {response.status_code}"
                retry = response.status_code >= 500 or response.status_code in (408, 429)
            except TargetRefused as exc:  # from GuardedTransport, before anything was sent
                result.status, result.error = "refused", str(exc)
                break
            except httpx.HTTPError as exc:
                result.error = f"{type(exc).__name__}: {exc}"
                retry = True
            log.warning(
                "webhook attempt failed",
                target=result.target,
                attempt=attempt,
                error=result.error,
                event_id=event_id,
            )
            if not retry or attempt == config.max_attempts:
                break
            sleep(_backoff(config, attempt))
    result.finished_at = utcnow()
    return result


class WebhookSender:
    """POST signed JSON; retry transport errors, 429 and 5xx; never follow redirects."""

    def __init__(
        self,
        config: DeliveryConfig,
        *,
        sleep: Callable[[float], None] = time.sleep,
        resolver: Resolver | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.config = config
        self._sleep = sleep
        self._resolver = resolver
        self._transport = transport

    def send(self, event: AlertEvent, target: WebhookTarget) -> DeliveryResult:
        result = DeliveryResult(
            channel="webhook",
            target=redact_url(target.url),
            status="failed",
            event_id=event.id,
            subscription_id=event.subscription_id,
            test=event.test,
        )
        return post_signed(
            self.config,
            target.url,
            target.secret,
            event_body(event),
            result,
            event_id=event.id,
            sleep=self._sleep,
            resolver=self._resolver,
            transport=self._transport,
        )


def render_email(event: AlertEvent, sender: str, to: Sequence[str]) -> EmailMessage:
    """Plain-text email: the summary, the numbers, the drivers and the search link."""
    msg = EmailMessage()
    prefix = "[duluan test] " if event.test else "[duluan] "
    msg["Subject"] = (prefix + event.summary)[:200].replace("\r", " ").replace("\n", " ")
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    msg["Message-ID"] = f"<{event.id}@duluan>"
    lines = [
        event.summary,
        "",
        f"observed: {event.observed:g}"
        + (f"  expected: {event.expected:g}" if event.expected is not None else "")
        + f"  threshold: {event.threshold:g}"
        + (f"  z: {event.score:g}" if event.score is not None else ""),
        f"window: {event.window_start.isoformat()} .. {event.window_end.isoformat()}",
    ]
    d = event.drivers
    if d.top_terms:
        lines += ["", "top terms: " + ", ".join(f"{t.term} ({t.count})" for t in d.top_terms)]
    if d.top_sources:
        lines += ["top sources: " + ", ".join(f"{t.term} ({t.count})" for t in d.top_sources)]
    if d.sample_posts:
        lines += ["", "sample posts:"]
        lines += [f"- [{p.source}] {p.text[:160]} {p.url or p.id}" for p in d.sample_posts]
    if event.search_url:
        lines += ["", f"matching posts: {event.search_url}"]
    msg.set_content("\n".join(lines) + "\n")
    return msg


def send_smtp(
    config: DeliveryConfig,
    make_message: Callable[[str], EmailMessage],
    result: DeliveryResult,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> DeliveryResult:
    """Send the message `make_message(sender)` builds; retry 4xx and connection failures."""
    smtp = config.smtp
    if smtp is None:
        result.status, result.error = "refused", "no SMTP server configured (smtp_host)"
        result.finished_at = utcnow()
        return result
    msg = make_message(smtp.sender)
    for attempt in range(1, config.max_attempts + 1):
        result.attempts = attempt
        try:
            _smtp_send_once(smtp, msg)
            result.status, result.error = "delivered", None
            break
        except smtplib.SMTPResponseException as exc:
            result.status_code = exc.smtp_code
            result.error = f"SMTP {exc.smtp_code}: {exc.smtp_error!r}"
            retry = 400 <= exc.smtp_code < 500
        except smtplib.SMTPRecipientsRefused as exc:
            result.error = f"recipients refused: {sorted(exc.recipients)}"
            retry = False
        except (smtplib.SMTPException, OSError) as exc:
            result.error = f"{type(exc).__name__}: {exc}"
            retry = True
        log.warning(
            "email attempt failed",
            to=result.target,
            attempt=attempt,
            error=result.error,
            event_id=result.event_id,
        )
        if not retry or attempt == config.max_attempts:
            break
        sleep(_backoff(config, attempt))
    result.finished_at = utcnow()
    return result


def _smtp_send_once(smtp: SmtpConfig, msg: EmailMessage) -> None:
    client: smtplib.SMTP
    if smtp.ssl:
        client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout_s)
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_s)
    with client:
        if smtp.starttls and not smtp.ssl:
            client.starttls()
        if smtp.user:
            password = smtp.password.get_secret_value() if smtp.password else ""
            client.login(smtp.user, password)
        client.send_message(msg)


class EmailSender:
    """SMTP with optional STARTTLS / implicit TLS and login; retries temporary failures."""

    def __init__(
        self, config: DeliveryConfig, *, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.config = config
        self._sleep = sleep

    def send(self, event: AlertEvent, target: EmailTarget) -> DeliveryResult:
        result = DeliveryResult(
            channel="email",
            target=", ".join(target.to),
            status="failed",
            event_id=event.id,
            subscription_id=event.subscription_id,
            test=event.test,
        )
        return send_smtp(
            self.config,
            lambda sender: render_email(event, sender, target.to),
            result,
            sleep=self._sleep,
        )


class Notifier:
    """Deliver an event to every target of its subscription and log each delivery."""

    def __init__(
        self,
        config: DeliveryConfig,
        repo: AlertRepository | None = None,
        *,
        webhook: WebhookSender | None = None,
        email: EmailSender | None = None,
    ) -> None:
        self.config = config
        self.repo = repo
        self.webhook = webhook or WebhookSender(config)
        self.email = email or EmailSender(config)

    def deliver(self, event: AlertEvent, subscription: Subscription) -> list[DeliveryResult]:
        results: list[DeliveryResult] = []
        for target in subscription.targets:
            if isinstance(target, WebhookTarget):
                result = self.webhook.send(event, target)
            else:
                result = self.email.send(event, target)
            log.info(
                "alert delivery",
                channel=result.channel,
                target=result.target,
                status=result.status,
                attempts=result.attempts,
                event_id=event.id,
                subscription_id=subscription.id,
            )
            if self.repo is not None:
                self.repo.record_delivery(result)
            results.append(result)
        return results

    def send_test(self, subscription: Subscription) -> list[DeliveryResult]:
        """Send a clearly marked test event to every target, to check the wiring."""
        return self.deliver(make_test_event(subscription), subscription)


def make_test_event(subscription: Subscription, now: datetime | None = None) -> AlertEvent:
    now = now or utcnow()
    return AlertEvent(
        subscription_id=subscription.id,
        subscription_name=subscription.name,
        rule_type=subscription.rule.type,
        direction="above",
        fired_at=now,
        window_start=now - timedelta(seconds=subscription.window_s),
        window_end=now,
        summary=f"{subscription.name}: test alert from duluan (no threshold was crossed)",
        metric="test",
        observed=0.0,
        threshold=0.0,
        test=True,
    )


def send_test(
    subscription: Subscription, config: DeliveryConfig, repo: AlertRepository | None = None
) -> list[DeliveryResult]:
    """Convenience for the API: one test delivery per target, logged if a repo is given."""
    return Notifier(config, repo).send_test(subscription)
