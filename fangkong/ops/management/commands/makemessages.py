"""`makemessages` that also extracts the project's own gettext aliases.

Views that already bind `_` to the lazy gettext import the immediate one as `_g`; xgettext
knows only the standard names, so without this their flash messages and Excel headers never
reached the catalogue and showed in English.
"""

from __future__ import annotations

from django.core.management.commands.makemessages import Command as MakeMessagesCommand

# Every alias of a django.utils.translation function used in fangkong/ (a test checks it).
EXTRA_KEYWORDS = ("_g",)


class Command(MakeMessagesCommand):
    xgettext_options = [
        *MakeMessagesCommand.xgettext_options,
        *(f"--keyword={k}" for k in EXTRA_KEYWORDS),
    ]
