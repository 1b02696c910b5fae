"""Core middleware: the signed-in user's preferences (language, and the unit amounts are shown in:
kadence.core.amounts, yuan when signed out), and the security headers of every dynamic answer."""

from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_cache_control

from kadence.core.amounts import activate_unit, reset_unit


class UserLanguageMiddleware:
    """Activate the signed-in user's preferred language (else LocaleMiddleware's browser choice stands)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        signed_in = user if user is not None and user.is_authenticated else None
        if signed_in is not None and signed_in.language:
            translation.activate(signed_in.language)
            request.LANGUAGE_CODE = translation.get_language()
        token = activate_unit(signed_in.amount_unit if signed_in is not None else None)
        try:
            return self.get_response(request)
        finally:
            reset_unit(token)


class SecurityHeadersMiddleware:
    """Headers every dynamic answer carries (static files are served before this, by WhiteNoise):

    - `Cache-Control: private, no-store`: pages, API answers, exports and evidence downloads show
      customer data, which no shared cache or browser disk may keep (a view's own directives are kept
      and these added; `public` is dropped);
    - `Content-Security-Policy` from settings.SECURE_CSP (the format of Django 6.0's setting, so that
      moving to Django's own middleware is a settings change), with SECURE_CSP_PATHS overriding it for
      path prefixes whose pages bring their own scripts (the API's Swagger UI). A response that already
      has the header keeps it.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = csp_header(settings.SECURE_CSP)
        # Longest prefix first, so /api/docs wins over /api/.
        self.path_policies = sorted(
            ((prefix, csp_header(policy)) for prefix, policy in settings.SECURE_CSP_PATHS.items()),
            key=lambda item: -len(item[0]),
        )

    def __call__(self, request):
        response = self.get_response(request)
        patch_cache_control(response, private=True, no_store=True)
        if "Content-Security-Policy" not in response:
            policy = next(
                (p for prefix, p in self.path_policies if request.path.startswith(prefix)), self.policy
            )
            if policy:
                response["Content-Security-Policy"] = policy
        return response


def csp_header(policy: dict[str, list[str]]) -> str:
    """{"default-src": ["'self'"], "img-src": ["'self'", "data:"]} → "default-src 'self'; img-src 'self' data:"."""
    return "; ".join(" ".join([directive, *sources]).strip() for directive, sources in policy.items())
