"""Logged tracebacks never show local variables: an unexpected error inside `post_signed` must
not print the webhook secret it holds, in the console format (rich would show locals) or JSON."""

from __future__ import annotations

import logging
import secrets

import httpx
import pytest

from duluan.alerts.delivery import DeliveryConfig, DeliveryResult, post_signed
from duluan.core.logging import configure_logging, get_logger


class Broken(httpx.BaseTransport):
    """A transport failing in a way post_signed does not expect (not an httpx error)."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        raise RuntimeError("transport exploded")


pytestmark = pytest.mark.usefixtures("restore_logging")


def deliver(secret: str) -> None:
    """Call post_signed with `secret` held in its frame (and in this one) when it raises."""
    result = DeliveryResult(channel="webhook", target="http://127.0.0.1/hook", status="failed")
    post_signed(
        DeliveryConfig(allow_private_targets=True, max_attempts=1),
        "http://127.0.0.1/hook",
        secret,
        b"{}",
        result,
        event_id="e1",
        transport=Broken(),
    )


@pytest.mark.parametrize("fmt", ["console", "json"])
def test_logged_exceptions_do_not_show_local_secrets(
    fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = "whsec_" + secrets.token_urlsafe(24)  # made at run time: not in any source line
    configure_logging("INFO", fmt)
    log = get_logger("tests.logging")
    with pytest.raises(RuntimeError):
        deliver(secret)
    try:
        deliver(secret)
    except RuntimeError:
        log.exception("delivery crashed", target="http://127.0.0.1/hook")
    try:
        deliver(secret)
    except RuntimeError:
        logging.getLogger("tests.stdlib").exception("stdlib delivery crashed")
    err = capsys.readouterr().err
    # the tracebacks are there (the test would pass vacuously otherwise), the secret is not
    assert err.count("RuntimeError: transport exploded") == 2 and "post_signed" in err
    assert "delivery crashed" in err and "stdlib delivery crashed" in err
    assert secret not in err
