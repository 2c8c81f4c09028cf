"""The portal's routes, and its static files: GOV.UK Frontend's build under `/static/govuk/` and its
fonts and images under `/assets/` (where its compiled stylesheet looks for them)."""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from customer360.http.static_assets import CachedAssets
from customer360.portal import (
    access,
    account,
    cancel_direct_debit,
    complaints,
    contact,
    direct_debit,
    discount,
    end_discount,
    escalation,
    feedback,
    housing,
    housing_evidence,
    moving,
    oidc_sign_in,
    payment,
    records,
    repair,
    report,
    report_photo,
    safeguarding,
    your_home,
)
from customer360.portal.rendering import STATIC
from customer360.portal.web import guarded
from customer360.settings import Settings


def portal_routes(settings: Settings) -> list[BaseRoute]:
    pages = [
        ("/", account.start_or_home, "GET"),
        ("/sign-out", account.sign_out_page, "GET"),
        ("/sign-out", oidc_sign_in.sign_out if settings.oidc_client_id else account.sign_out, "POST"),
        ("/council-tax", records.council_tax, "GET"),
        ("/my-requests", records.my_requests, "GET"),
        ("/my-requests/{reference:path}", records.one_request, "GET"),
        (feedback.PATH, feedback.rate, "POST"),
        (contact.PATH, contact.preferences, "GET"),
        (contact.PATH, contact.save, "POST"),
        (access.WHO_CAN_ACT, access.who_can_act, "GET"),
        (access.WHO_YOU_ACT_FOR, access.who_you_act_for, "GET"),
        (complaints.START, complaints.question, "GET"),
        (complaints.START, complaints.answer, "POST"),
        (complaints.CHECK, complaints.check_answers, "GET"),
        (complaints.CHECK, complaints.send, "POST"),
        (complaints.DONE, complaints.confirmation, "GET"),
        (discount.START, discount.question, "GET"),
        (discount.START, discount.answer, "POST"),
        (discount.JOURNEY.check, discount.check_answers, "GET"),
        (discount.JOURNEY.check, discount.send, "POST"),
        (discount.JOURNEY.done, discount.confirmation, "GET"),
        (report.START, report.choose, "GET"),
        (report_photo.PHOTO, report_photo.photo_page, "GET"),
        (report_photo.PHOTO, report_photo.add_photo, "POST"),
        (report.JOURNEY.check, report.check_answers, "GET"),
        (report.JOURNEY.check, report.send, "POST"),
        (report.JOURNEY.done, report.confirmation, "GET"),
        (report.PAID, report.paid, "GET"),
        (report.START + "/{code}", report.question, "GET"),
        (report.START + "/{code}", report.answer, "POST"),
        *direct_debit.ROUTES,
        *cancel_direct_debit.ROUTES,
        *end_discount.ROUTES,
        *escalation.ROUTES,
        *housing.ROUTES,
        *housing_evidence.ROUTES,
        *moving.ROUTES,
        *payment.ROUTES,
        *safeguarding.ROUTES,
        (your_home.PATH, your_home.your_home, "GET"),
        *repair.ROUTES,
    ]
    if settings.oidc_client_id:  # the council's identity provider (OpenID Connect)
        pages += [
            ("/sign-in", oidc_sign_in.sign_in, "GET"),
            (oidc_sign_in.CALLBACK, oidc_sign_in.callback, "GET"),
            (oidc_sign_in.SIGNED_OUT, oidc_sign_in.signed_out_page, "GET"),
        ]
    elif settings.demo_issuer_enabled:  # the demo identity page
        pages += [("/sign-in", account.sign_in_page, "GET"), ("/sign-in", account.sign_in, "POST")]
    return [
        *(Route(path, guarded(endpoint), methods=[method]) for path, endpoint, method in pages),
        Mount("/static", app=CachedAssets(StaticFiles(directory=STATIC)), name="portal-static"),
        Mount("/assets", app=CachedAssets(StaticFiles(directory=STATIC / "govuk" / "assets")), name="govuk-assets"),
    ]
