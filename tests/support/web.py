"""A small HTTP client for a live server: one instance per simulated user.

Standard library only (`http.client`), so that the load generator needs no extra packages.
It keeps cookies, never follows redirects (the caller sees the 302), signs in through the
login form with its CSRF token, and sends API requests with a bearer token.
"""

from __future__ import annotations

import http.client
import json
import re
import time
import uuid
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import urlencode

CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float

    def json(self):
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class WebClient:
    """Requests to one server as one user (session cookie and/or API token)."""

    def __init__(self, base_url: str, token: str | None = None, timeout: float = 60.0):
        scheme, _, rest = base_url.partition("://")
        if scheme != "http":
            raise ValueError(f"only http:// is supported, not {base_url}")
        host, _, port = rest.rstrip("/").partition(":")
        self.host, self.port = host, int(port or 80)
        self.token = token
        self.timeout = timeout
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict | None = None
    ) -> Response:
        """Send one request on a fresh connection (gunicorn's sync workers close it anyway)."""
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.token and path.startswith("/api/"):
            headers["Authorization"] = f"Bearer {self.token}"
        started = time.perf_counter()
        connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            connection.request(method, path, body=body, headers=headers)
            reply = connection.getresponse()
            data = reply.read()
        finally:
            connection.close()
        seconds = time.perf_counter() - started
        self._keep_cookies(reply.headers.get_all("Set-Cookie") or [])
        return Response(reply.status, dict(reply.headers.items()), data, seconds)

    def get(self, path: str, **params) -> Response:
        query = urlencode(params, doseq=True)
        return self.request("GET", f"{path}?{query}" if query else path)

    def post_form(self, path: str, fields: dict[str, str]) -> Response:
        body = urlencode(fields).encode()
        return self.request(
            "POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"}
        )

    def upload(
        self, path: str, files: list[tuple[str, bytes]], fields: dict[str, str] | None = None
    ) -> Response:
        """POST files as multipart field `files`, plus plain form fields."""
        body, content_type = multipart(files, fields or {})
        return self.request("POST", path, body, {"Content-Type": content_type})

    def login(self, username: str, password: str) -> Response:
        """Sign in through the form (GET for the CSRF token, then POST); 302 means success."""
        page = self.get("/login")
        match = CSRF_FIELD.search(page.text)
        fields = {"username": username, "password": password}
        if match:
            fields["csrf_token"] = match.group(1)
        return self.post_form("/login", fields)

    def _keep_cookies(self, headers: list[str]) -> None:
        for header in headers:
            cookie = SimpleCookie()
            cookie.load(header)
            for name, morsel in cookie.items():
                expired = morsel["expires"] and "1970" in morsel["expires"]
                if morsel.value == "" or expired or morsel["max-age"] == "0":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value


def multipart(files: list[tuple[str, bytes]], fields: dict[str, str]) -> tuple[bytes, str]:
    """Encode form fields and files as multipart/form-data."""
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + value.encode()
            + b"\r\n"
        )
    for filename, content in files:
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; '
            f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
        )
        parts.append(head.encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"
