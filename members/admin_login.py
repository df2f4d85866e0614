"""The admin's sign-in, under the portal's limits on failed logins.

Django's admin authenticates on its own, so 15 wrong passwords and then the right one signed a
superuser in. Its form now authenticates through allauth's adapter, which counts failures in
ACCOUNT_RATE_LIMITS["login_failed"] (LOGIN_RATE_LIMIT: per address and per account) and refuses
even the right password once either budget is spent. The per-account count is the portal's own
(the key is the email), so alternating between the two sign-in pages gains nothing.
"""

from allauth.account.adapter import get_adapter
from django.contrib.admin.forms import AdminAuthenticationForm


class AdminLoginForm(AdminAuthenticationForm):
    def clean(self):
        email = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if email is not None and password:
            # Raises a ValidationError ("Too many failed login attempts") when rate limited.
            self.user_cache = get_adapter(self.request).authenticate(
                self.request, email=email, password=password
            )
            if self.user_cache is None:
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data
