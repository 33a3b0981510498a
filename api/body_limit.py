"""Request bodies beyond a size are refused with 413 before anything reads them whole.

FastAPI reads a body completely before authentication runs, so without a limit anyone
could make the API buffer hundreds of megabytes. A declared ``Content-Length`` over the
limit is refused at once; a chunked body is counted as it streams.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import problem_response


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` when a streamed body passes the limit.

    An HTTPException, so FastAPI passes it on (any other error while reading a body becomes
    its 400) and the problem handlers answer 413.
    """

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, _detail(max_bytes), headers={"Connection": "close"})


def _detail(max_bytes: int) -> str:
    return f"The request body may be at most {max_bytes:,} bytes."


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or ()).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(scope, receive, send)
            return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def noted(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, noted)
        except BodyTooLarge:
            if not started:
                await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem_response(413, _detail(self.max_bytes), headers={"Connection": "close"})
        await response(scope, receive, send)
