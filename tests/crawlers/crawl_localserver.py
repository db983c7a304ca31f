"""A scriptable local HTTP server for spider tests: routes by path + query subset, counted hits,
responses that fail N times first, and `{base}` placeholders replaced by the server's URL."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "sources"

Body = str | bytes | Callable[[dict[str, str]], str | bytes]


@dataclass
class Route:
    path: str
    body: Body
    status: int = 200
    ctype: str = "text/html; charset=utf-8"
    query: dict[str, str] = field(default_factory=dict)
    times: int | None = None  # serve only this many times, then fall through
    headers: dict[str, str] = field(default_factory=dict)


class LocalServer:
    """Threaded HTTP server on 127.0.0.1 with a random port."""

    def __init__(self) -> None:
        self.routes: list[Route] = []
        self.hits: list[str] = []
        self._lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def add(self, path: str, body: Body, **kw: Any) -> Route:
        route = Route(path, body, **kw)
        self.routes.insert(0, route)
        return route

    def add_fixture(self, path: str, fixture: str, **kw: Any) -> Route:
        text = (FIXTURES / fixture).read_text("utf-8")
        if "ctype" not in kw:
            if fixture.endswith(".json"):
                kw["ctype"] = "application/json; charset=utf-8"
            elif fixture.endswith((".rss", ".xml")):
                kw["ctype"] = "application/rss+xml; charset=utf-8"
            elif fixture.endswith(".js"):
                kw["ctype"] = "application/javascript; charset=utf-8"
        return self.add(path, text, **kw)

    def clear(self) -> None:
        with self._lock:
            self.routes.clear()
            self.hits.clear()

    def count(self, fragment: str) -> int:
        return sum(1 for h in self.hits if fragment in h)

    def _match(self, path: str, query: dict[str, str]) -> Route | None:
        with self._lock:
            candidates = [
                r
                for r in self.routes
                if r.path == path
                and all(query.get(k) == v for k, v in r.query.items())
                and (r.times is None or r.times > 0)
            ]
            if not candidates:
                return None
            # limited-use routes first, then the most specific query
            best = sorted(candidates, key=lambda r: (r.times is None, -len(r.query)))[0]
            if best.times is not None:
                best.times -= 1
            return best

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                with server._lock:
                    server.hits.append(self.path)
                route = server._match(parts.path, query)
                if route is None:
                    status, body, ctype, headers = 404, b"not found", "text/plain", {}
                else:
                    raw = route.body(query) if callable(route.body) else route.body
                    text = raw if isinstance(raw, bytes) else raw.replace("{base}", server.base)
                    body = text if isinstance(text, bytes) else text.encode("utf-8")
                    status, ctype, headers = route.status, route.ctype, route.headers
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)

        return Handler

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
