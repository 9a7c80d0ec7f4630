"""Login with the "this is a shared computer" choice; the other auth pages are Django's own
views in Relasi's templates (templates/registration/)."""

from django.conf import settings
from django.contrib.auth import views as auth_views

from .forms import EmailAuthenticationForm
from .middleware import IDLE_LIMIT_KEY


class LoginView(auth_views.LoginView):
    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)  # logs in: a new session key from here on
        session = self.request.session
        if form.cleaned_data.get("shared_computer"):
            # Ends when the browser closes, and after a shorter spell without activity.
            session.set_expiry(0)
            session[IDLE_LIMIT_KEY] = settings.SESSION_SHARED_IDLE_SECONDS
        return response
