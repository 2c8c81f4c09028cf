"""The portal's routes, and its static files: GOV.UK Frontend's build under `/static/govuk/` and its
fonts and images under `/assets/` (where its compiled stylesheet looks for them)."""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from customer360.portal import account, complaints, records
from customer360.portal.rendering import STATIC
from customer360.settings import Settings
from customer360.staff.routes import _Cached


def portal_routes(settings: Settings) -> list[BaseRoute]:
    routes: list[BaseRoute] = [
        Route("/", account.start_or_home, methods=["GET"]),
        Route("/sign-out", account.sign_out, methods=["GET"]),
        Route("/council-tax", records.council_tax, methods=["GET"]),
        Route("/my-requests", records.my_requests, methods=["GET"]),
        Route("/my-requests/{reference:path}", records.one_request, methods=["GET"]),
        Route(complaints.START, complaints.question, methods=["GET"]),
        Route(complaints.START, complaints.answer, methods=["POST"]),
        Route(complaints.CHECK, complaints.check_answers, methods=["GET"]),
        Route(complaints.CHECK, complaints.send, methods=["POST"]),
        Route(complaints.DONE, complaints.confirmation, methods=["GET"]),
        Mount("/static", app=_Cached(StaticFiles(directory=STATIC)), name="portal-static"),
        Mount("/assets", app=_Cached(StaticFiles(directory=STATIC / "govuk" / "assets")), name="govuk-assets"),
    ]
    if settings.demo_issuer_enabled:  # production sign-in (OpenID Connect) is not built yet
        routes += [
            Route("/sign-in", account.sign_in_page, methods=["GET"]),
            Route("/sign-in", account.sign_in, methods=["POST"]),
        ]
    return routes
