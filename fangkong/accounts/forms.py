from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from .models import Role


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _(
            "Wrong user name or password, or the account is locked after repeated failures; "
            "try again later."
        ),
        "inactive": _("This account is inactive."),
    }


class DeviceTokenForm(forms.Form):
    name = forms.CharField(label=_("Device name"), max_length=100)
    role = forms.ChoiceField(
        label=_("Role"),
        choices=[
            (r.value, r.label) for r in (Role.SAMPLER, Role.LAB_TECHNICIAN, Role.CHECKPOINT_GUARD)
        ],
    )
    scope_code = forms.CharField(label=_("Area code"), max_length=64)
