"""Staff sign in to the dashboard through the council's staff identity provider (OpenID Connect).

`POST /staff/sign-in` (the dashboard's form, same origin only) sends the browser to the provider
(authorization code flow with PKCE, as the portal's: `auth/relying_party.py`); the flow's state, nonce
and verifier wait server-side (the portal's session store) under the sha256 of a random id held in a
short-lived HttpOnly cookie, encrypted as the portal's sessions are (a key derived from
`C360_SESSION_SECRET`, else `keys/staff-sign-in.key`), and are taken once. `GET /staff/sign-in/callback`
verifies the ID token as the API verifies a staff token (a member of staff with a dashboard role), then
mints the dashboard's own bearer token carrying exactly the verified principal (`StaffDashboardIssuer`:
the ID token is the provider's word to the dashboard, not an access token for the API, and often lives
minutes), and answers the dashboard with it in a meta tag: the dashboard keeps it in this tab's
`sessionStorage`, exactly where a pasted token goes in the demo.

The access purpose audited on every read is the staff member's own statement: it is taken only from
the dashboard's own form, never from a link (`GET /staff/sign-in?purpose=...` sent by someone else
would sign a member of staff already signed in at the provider in silently under that purpose). A
`GET` goes back to the form; a `POST` from another site is refused.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import html
import json
import logging
import secrets
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from customer360.auth.keys import load_or_create_signing_key
from customer360.auth.oidc import staff_sign_in
from customer360.auth.purpose import MAX_LENGTH
from customer360.auth.relying_party import Pending, RelyingParty, SignInFailed
from customer360.auth.tokens import STAFF_DASHBOARD_KEY, StaffDashboardIssuer
from customer360.auth.tokens import InvalidToken as RefusedToken
from customer360.keyfiles import kept_secret

log = logging.getLogger("customer360.staff.sign_in")
COOKIE = "c360_staff_sign_in"
PENDING_SECONDS = 10 * 60  # long enough to sign in at the provider, short enough not to linger
DEFAULT_PURPOSE = "Staff dashboard"
FAILED = '<div id="sign-in-error" class="error-summary" role="alert"><h2>There is a problem</h2><p>{message}</p></div>'


def relying_party(request: Request) -> RelyingParty:
    """One client per app: it keeps the provider's discovery document and keys between sign-ins."""
    state: Any = request.app.state
    found: RelyingParty | None = getattr(state, "staff_relying_party", None)
    if found is None:
        found = staff_sign_in(state.runtime.settings)
        assert found is not None, "the staff sign-in routes exist only when C360_STAFF_OIDC_CLIENT_ID is set"
        state.staff_relying_party = found
    return found


def staff_issuer(request: Request) -> StaffDashboardIssuer:
    """One per app: the key the API trusts for the dashboard's tokens (runtime.py `_issuers`)."""
    state: Any = request.app.state
    found: StaffDashboardIssuer | None = getattr(state, "staff_dashboard_issuer", None)
    if found is None:
        key = load_or_create_signing_key(state.runtime.settings.data_dir, STAFF_DASHBOARD_KEY)
        found = state.staff_dashboard_issuer = StaffDashboardIssuer(key)
    return found


@functools.cache
def _sealer(data_dir: Path, secret: str | None) -> Fernet:
    if secret:  # every replica given the same secret shares the key
        hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"c360 staff sign-in")
        return Fernet(base64.urlsafe_b64encode(hkdf.derive(secret.encode())))
    return Fernet(kept_secret(data_dir / "keys" / "staff-sign-in.key", Fernet.generate_key).strip())


def _key(browser_id: str) -> str:
    return "staff-sign-in:" + hashlib.sha256(browser_id.encode()).hexdigest()


async def ask_purpose(_request: Request) -> Response:
    """A link to the sign-in: the dashboard's form, where the staff member states the purpose."""
    return RedirectResponse("/staff", status_code=303)


def _same_origin(request: Request) -> bool:
    """Whether a browser sent this form from this site. Browsers say where a POST comes from: Sec-Fetch-Site
    (on https and localhost), else Origin (`null` under this page's `no-referrer` policy, so not ours); a
    client that is no browser is no one's victim of a forged form."""
    fetched_from = request.headers.get("sec-fetch-site")
    if fetched_from is not None:
        return fetched_from in {"same-origin", "none"}
    origin = request.headers.get("origin")
    if origin is None:
        return True
    ours = {str(request.base_url).rstrip("/"), request.app.state.runtime.settings.public_url.rstrip("/")}
    return origin.rstrip("/") in ours


async def begin(request: Request) -> Response:
    if not _same_origin(request):
        log.info("staff sign-in refused: the form came from another site")
        return HTMLResponse("<h1>Sign in from the staff dashboard.</h1>", status_code=403)
    fields = await request.form()
    stated = fields.get("purpose")
    purpose = " ".join(stated.split())[:MAX_LENGTH] if isinstance(stated, str) else ""
    purpose = purpose or DEFAULT_PURPOSE
    runtime = request.app.state.runtime
    try:
        url, pending = await relying_party(request).begin()
    except SignInFailed as error:
        log.warning("staff sign-in cannot start: %s", error)
        return HTMLResponse("<h1>Sign-in is not available at the moment. Try again later.</h1>", status_code=503)
    browser_id = secrets.token_urlsafe(32)
    sealer = _sealer(runtime.settings.data_dir, runtime.settings.session_secret)
    sealed = sealer.encrypt(json.dumps({**pending.as_dict(), "purpose": purpose}).encode()).decode()
    await runtime.portal_sessions.put(_key(browser_id), sealed, PENDING_SECONDS)
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(
        COOKIE,
        browser_id,
        max_age=PENDING_SECONDS,
        path="/staff",
        secure=runtime.settings.production,
        httponly=True,
        samesite="lax",
    )
    return response


async def callback(request: Request, shell: str, headers: dict[str, str]) -> Response:
    runtime = request.app.state.runtime
    browser_id = request.cookies.get(COOKIE)
    kept = await runtime.portal_sessions.take(_key(browser_id)) if browser_id else None
    waiting: dict[str, str] = _opened(runtime.settings, kept)
    purpose = waiting.pop("purpose", DEFAULT_PURPOSE)
    try:
        signed = await relying_party(request).finish(dict(request.query_params), Pending.from_dict(waiting))
        principal = await runtime.verifier.verify(signed.id_token)
    except (SignInFailed, RefusedToken) as error:
        log.info("staff sign-in refused: %s", error)
        return _refused(shell, headers, "Your sign-in could not be completed. Sign in again.")
    if not principal.is_staff or not principal.roles:
        log.info("staff sign-in refused: the identity has no dashboard role")
        return _refused(shell, headers, "Your account has no role in the staff dashboard. Ask your manager for one.")
    token = staff_issuer(request).staff_token(principal)  # the roles as verified, never the ID token itself
    handed = (
        f'<meta name="c360-staff-token" content="{html.escape(token)}">'
        f'<meta name="c360-staff-purpose" content="{html.escape(purpose)}"></head>'
    )
    response = HTMLResponse(shell.replace("</head>", handed, 1), headers=headers)
    response.delete_cookie(COOKIE, path="/staff")
    return response


def _opened(settings: Any, sealed: str | None) -> dict[str, str]:
    """The waiting sign-in, or nothing (none kept, or sealed with another key: that sign-in is over)."""
    if not sealed:
        return {}
    try:
        opened: dict[str, str] = json.loads(
            _sealer(settings.data_dir, settings.session_secret).decrypt(sealed.encode())
        )
    except InvalidToken:
        return {}
    return opened


def _refused(shell: str, headers: dict[str, str], message: str) -> Response:
    page = shell.replace(
        '<div id="sign-in-error" class="error-summary" role="alert" hidden></div>',
        FAILED.format(message=html.escape(message)),
        1,
    )
    response = HTMLResponse(page, status_code=400, headers=headers)
    response.delete_cookie(COOKIE, path="/staff")
    return response
