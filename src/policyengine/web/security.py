"""What keeps the service safe and up for everyone: security headers, caps on what a
request may send, the form's CSRF check, and worker threads that one user, one slow
rulebook or one large caseload cannot take from the rest.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import sys
import zlib
from contextlib import aclosing, nullcontext
from typing import Any, Callable

import anyio
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from fastapi import Request
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException, MultiPartParser, parse_options_header
from starlette.responses import Response

#: Largest request body accepted, and largest caseload upload (held in memory, never on disk).
MAX_BODY_BYTES = 5 * 1024 * 1024
#: Requests evaluating or rendering at once, each in its own worker thread off
#: the event loop; others wait their turn, and pages keep loading.
MAX_WORKERS = 4
#: Caseload uploads read and decided at once, in threads of their own: a few
#: users' uploads never take the threads single cases and letters wait on.
MAX_UPLOADS = 2
#: Longest a request may work before its user is told it took too long.
MAX_REQUEST_SECONDS = 60
#: Longest all the previews on one decision page may take together; a document not
#: rendered by then says so (it can still be rendered on its own).
PREVIEW_SECONDS = 15
CSRF_COOKIE = "pe_csrf"
SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                                "frame-ancestors 'none'; base-uri 'none'"),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}

#: Makes the answer to a request the middleware could not let through: a page or JSON.
Answer = Callable[[Request], Response]


class Limits:
    """ASGI middleware: security headers on every response, a cap on bodies
    (answered with ``on_too_large``'s page), and a bug answered with
    ``on_crash``'s page and one line on stderr, never a traceback (whose text
    may hold a case's data)."""

    def __init__(self, app, max_body: int, on_crash: Answer | None = None,
                 on_too_large: Answer | None = None) -> None:
        self.app, self.max_body, self.on_crash, self.on_too_large = app, max_body, on_crash, on_too_large

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        head = scope["method"] == "HEAD"
        if head:  # HEAD is GET without the body (monitoring and link checkers send it)
            scope = {**scope, "method": "GET"}
        seen, started = 0, False

        async def counted_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise _TooLarge()
            return message

        async def secured_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message = {**message, "headers": _with_security_headers(message.get("headers", []))}
            elif head and message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body):
            return await self._too_large(scope, receive, secured_send)
        try:
            await self.app(scope, counted_receive, secured_send)
        except _TooLarge:
            await self._too_large(scope, receive, secured_send)
        except Exception as exc:
            if self.on_crash is None or os.environ.get("POLICYENGINE_DEBUG"):
                raise
            print(f"policyengine: internal error ({type(exc).__name__}) answering a request; run with "
                  "POLICYENGINE_DEBUG=1 to see where", file=sys.stderr)
            if not started:
                await self.on_crash(Request(scope))(scope, receive, secured_send)

    async def _too_large(self, scope, receive, send):
        if self.on_too_large is not None:
            return await self.on_too_large(Request(scope))(scope, receive, send)
        body = json.dumps({"error": f"the request is larger than the limit of {self.max_body:,} bytes"}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass


def _with_security_headers(headers) -> list:
    """The response's headers, and each security header it does not set itself."""
    present = {k.lower() for k, _ in headers}
    extra = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()
             if k.lower().encode() not in present]
    return list(headers) + extra


async def read_form(request: Request, max_body: int, files: tuple = (), **limits) -> FormData:
    """The submitted form, held in memory, with a file only where the form has one.

    Starlette writes a file part over 1 MiB to a temporary file on disk; the body
    is already capped at ``max_body``, so a spool threshold above the cap keeps
    every upload in memory. Any other file part is refused: a field the handler
    reads as text never holds a file.
    """
    content_type, _ = parse_options_header(request.headers.get("content-type", ""))
    if content_type != b"multipart/form-data":
        form = await request.form(**limits)
    else:
        try:
            async with aclosing(request.stream()) as stream:
                parser = MultiPartParser(request.headers, stream, **limits)
                parser.spool_max_size = max_body + 1
                form = await parser.parse()
        except MultiPartException as exc:
            raise HTTPException(400, exc.message) from None
    if any(not isinstance(value, str) and key not in files for key, value in form.multi_items()):
        raise HTTPException(400, "The form sent a file where it expects text. Go back, reload the page "
                                 "and try again.")
    return form


async def checked_form(request: Request, max_body: int, files: tuple = (), **limits) -> FormData:
    """The submitted form, if it carries this browser's CSRF token (see ``read_form``)."""
    form = await read_form(request, max_body, files, **limits)
    cookie = request.cookies.get(CSRF_COOKIE, "")
    sent = form.get("csrf", "")
    if not cookie or not isinstance(sent, str) or not hmac.compare_digest(cookie, sent):
        raise HTTPException(403, "The form had expired or did not come from this site. "
                                 "Go back, reload the page and try again.")
    return form


def sign(secret: bytes, purpose: str, data: Any) -> str:
    """``data`` as JSON, with a MAC binding it to ``secret`` and ``purpose``: a hidden
    field the browser carries back unchanged (nothing is stored on the server)."""
    body = base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode()
    return body + "." + _mac(secret, purpose, body)


def unsign(secret: bytes, purpose: str, text: str) -> Any:
    """What :func:`sign` signed, or None if ``text`` is not exactly what it made."""
    body, _, mac = text.partition(".")
    if not body or not hmac.compare_digest(mac, _mac(secret, purpose, body)):
        return None
    try:
        return json.loads(base64.urlsafe_b64decode(body.encode()))
    except ValueError:
        return None


def _mac(secret: bytes, purpose: str, body: str) -> str:
    return hmac.new(secret, f"{purpose}\n{body}".encode(), hashlib.sha256).hexdigest()


#: Longest sealed text a link may carry (a URL much longer than this is refused by some servers).
MAX_SEALED = 6000


def seal(secret: bytes, purpose: str, data: Any) -> str | None:
    """``data`` as JSON, compressed and encrypted (AES-GCM) for ``purpose``: text a link
    can carry that the browser's history cannot read (it holds a case), that no one can
    change, and that this app alone, until it restarts, can open. None if too long for a link."""
    nonce = os.urandom(12)
    plain = zlib.compress(json.dumps(data, separators=(",", ":")).encode())
    sealed = AESGCM(_key(secret)).encrypt(nonce, plain, purpose.encode())
    text = base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")
    return text if len(text) <= MAX_SEALED else None


def unseal(secret: bytes, purpose: str, text: str) -> Any:
    """What :func:`seal` sealed for ``purpose``, or None if ``text`` is not exactly what it made."""
    if not text or len(text) > MAX_SEALED:
        return None
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        plain = AESGCM(_key(secret)).decrypt(raw[:12], raw[12:], purpose.encode())
        return json.loads(zlib.decompressobj().decompress(plain, MAX_SEALED * 64))
    except (ValueError, InvalidTag, zlib.error):
        return None


def _key(secret: bytes) -> bytes:
    """The sealing key: derived from the app's secret, so it is never the signing key."""
    return hmac.new(secret, b"seal", hashlib.sha256).digest()


class Workers:
    """Worker threads for the slow part of a request, so it never holds the event
    loop every other user is waiting on.

    ``max_workers`` threads evaluate and render; caseload uploads have ``max_uploads``
    of their own, so they never hold up single cases. One council's requests hold
    at most all but one worker, so a slow rulebook never keeps another council's
    users waiting.
    """

    def __init__(self, rulebook_ids, max_workers: int = MAX_WORKERS, max_uploads: int = MAX_UPLOADS,
                 max_seconds: float = MAX_REQUEST_SECONDS) -> None:
        self.threads = anyio.CapacityLimiter(max_workers)
        self.uploads = anyio.CapacityLimiter(max_uploads)
        self.shares = {rid: anyio.CapacityLimiter(max(1, max_workers - 1)) for rid in rulebook_ids}
        self.max_seconds = max_seconds

    async def off_loop(self, work: Callable[..., Any], *args, upload: bool = False, book=None) -> Any:
        """``work(*args)`` in a worker thread (an upload's, if ``upload``); after
        ``max_seconds`` its user is answered, whatever the thread is still doing.
        Work for a ``book`` takes a worker only from that rulebook's share."""
        limiter = self.uploads if upload else self.threads
        with anyio.move_on_after(self.max_seconds):
            async with self.shares[book.meta.id] if book is not None else nullcontext():
                return await anyio.to_thread.run_sync(work, *args, limiter=limiter, abandon_on_cancel=True)
        raise HTTPException(503, "This took too long to work out, so it was stopped. Nothing you entered "
                                 "has been kept. Try again, or with a smaller caseload.")
