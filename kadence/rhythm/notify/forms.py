from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class ChannelsForm(forms.Form):
    email_digest = forms.BooleanField(label=_("Daily e-mail digest"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)
