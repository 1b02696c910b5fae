"""Activate the signed-in user's preferences for the request: their language (else LocaleMiddleware's
browser choice stands) and the unit amounts are shown in (kadence.core.amounts; yuan when signed out)."""

from django.utils import translation

from kadence.core.amounts import activate_unit, reset_unit


class UserLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        if signed_in and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = translation.get_language()
        token = activate_unit(user.amount_unit if signed_in else None)
        try:
            return self.get_response(request)
        finally:
            reset_unit(token)
