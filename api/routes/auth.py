"""Dashboard sign-in: a session cookie (HttpOnly, SameSite=Lax) and a CSRF token for the page."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request, Response, status

from api.deps import CurrentCaller, OptionsDep, SessionDep
from api.problems import Problem
from api.schemas.auth import CallerPublic, SignIn
from api.schemas.common import problem_responses, utc
from api.security import Principal
from api.websessions import COOKIE_NAME, close_session, open_session, principal_of_user, session_of_token, sign_in
from core.db.tables import UserRecord

log = logging.getLogger(__name__)
router = APIRouter(prefix="/auth", tags=["auth"])


def _caller(principal: Principal, user: UserRecord | None, csrf: str | None = None, expires: int | None = None) -> CallerPublic:
    return CallerPublic(
        via=principal.via,
        name=principal.name,
        display_name=(user.display_name if user else principal.name) or principal.name,
        role=principal.role.value,
        site_ids=sorted(principal.site_ids) if principal.site_ids is not None else None,
        locale=user.locale if user else "zh",
        csrf_token=csrf,
        expires_at=utc(expires) if expires is not None else None,
    )


#: A username may fail this many times more than one address (guesses spread over addresses).
USER_LIMIT_FACTOR = 10


@router.post(
    "/session",
    summary="Sign in",
    response_model=CallerPublic,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(401, 422, 429),
)
def create_session(body: SignIn, request: Request, response: Response, session: SessionDep, options: OptionsDep) -> CallerPublic:
    """Check username and password; set the session cookie and return the CSRF token.

    After too many failed sign-ins from one address (or, ten times as many, for one
    username) the answer is 429 with `Retry-After` (seconds) until the oldest failure
    leaves the window; also 429 when too many sign-ins are being checked at once."""
    limiter = request.app.state.sign_in_limiter
    address_key = f"address:{request.client.host if request.client else '-'}"
    user_key = f"user:{body.username.casefold()}"
    limit = options.sign_in_max_failures
    attempt = limiter.begin({address_key: limit, user_key: limit * USER_LIMIT_FACTOR})
    if isinstance(attempt, int):
        raise Problem(
            429, "Too many failed sign-ins; try again later.", kind="too-many-sign-ins", headers={"Retry-After": str(attempt)}
        )
    if not limiter.checks.acquire(blocking=False):
        limiter.forgive(attempt)
        raise Problem(
            429, "Too many sign-ins at once; try again in a moment.", kind="too-many-sign-ins", headers={"Retry-After": "1"}
        )
    try:
        user = sign_in(session, body.username, body.password, options.password_cost)
    finally:
        limiter.checks.release()
    if user is None:
        # The attempt stays counted. One answer for unknown users, wrong passwords and disabled accounts.
        raise Problem(401, "Unknown username or wrong password.", kind="sign-in-failed")
    limiter.forgive(attempt, user_key)
    opened = open_session(session, user, options.session_ttl_s)
    session.commit()
    response.set_cookie(
        COOKIE_NAME,
        opened.token,
        max_age=options.session_ttl_s,
        path="/",
        httponly=True,
        samesite="lax",
        # Behind a TLS proxy, uvicorn's --proxy-headers turns the scheme into https;
        # cookie_secure says so when the proxy's headers are not trusted.
        secure=options.cookie_secure or request.url.scheme == "https",
    )
    log.info("user %s signed in", user.id)
    return _caller(principal_of_user(user), user, opened.csrf_token, opened.expires_at)


@router.get("/session", summary="Who am I", response_model=CallerPublic, responses=problem_responses(401))
def read_session(request: Request, session: SessionDep, caller: CurrentCaller) -> CallerPublic:
    """The caller; for a session cookie also its CSRF token (a reloaded page needs it again)."""
    if caller.via != "user":
        return _caller(caller, None)
    row, user = session_of_token(session, request.cookies.get(COOKIE_NAME, "")) or (None, None)
    if row is None:
        return _caller(caller, None)
    return _caller(caller, user, row.csrf_token, row.expires_at)


@router.delete(
    "/session",
    summary="Sign out",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=problem_responses(401, 403),
)
def delete_session(request: Request, session: SessionDep, caller: CurrentCaller) -> Response:
    """End the cookie's session (needs the CSRF token); API keys have nothing to end."""
    token = request.cookies.get(COOKIE_NAME)
    if caller.via == "user" and token:
        close_session(session, token)
        session.commit()
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="lax")
    return response
