"""Strings of Django itself that its zh-Hans catalogue does not translate yet.

Marked here so that `makemessages` keeps them in our catalogue, which Django reads before its
own (LOCALE_PATHS come first). A test renders each in zh-Hans.
"""

from django.utils.translation import gettext_noop

MISSING_IN_DJANGO_ZH_HANS = (
    # Django 6: the empty choice of every select built from a model field's choices.
    gettext_noop("- Select an option -"),
)
