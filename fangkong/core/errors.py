"""The one error type services raise for broken rules.

Views and the API turn it into a 4xx answer that names the field and the rule; the CLI
turns it into a non-zero exit with the message in the user's language.
"""

from __future__ import annotations

from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _


class RuleViolation(Exception):
    """A request broke a rule. `field` names the input, `code` the rule, `message` says why."""

    status_code = 422

    def __init__(self, *, field: str, code: str, message, status_code: int | None = None):
        self.field = field
        self.code = code
        self.message = message  # often a lazy translation; rendered in the active language
        if status_code is not None:
            self.status_code = status_code
        super().__init__(f"{field}: {code}")

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "code": self.code, "message": force_str(self.message)}

    def __str__(self) -> str:
        return f"{self.field}: {force_str(self.message)}"


class PermissionDeniedError(RuleViolation):
    """The user's role or scope does not allow the action (403, always audited).

    It carries what the audit row needs; whoever writes that row sets `audited`, so the
    edge (`core.http`) writes it only for refusals nobody has recorded yet. A row written
    inside a transaction rolls back with the refused work: `audit` keeps its contents and
    `audit_id` its key, so the edge can tell and write it again.
    """

    status_code = 403

    def __init__(
        self,
        *,
        field: str,
        code: str,
        message,
        object_type: str = "",
        object_id: str | int = "",
        area_code: str = "",
    ):
        super().__init__(field=field, code=code, message=message)
        self.object_type = object_type
        self.object_id = str(object_id)
        self.area_code = area_code
        self.audited = False
        self.audit: dict | None = None
        self.audit_id: int | None = None

    def take_audit(self, other: PermissionDeniedError) -> None:
        """Carry the audit state of `other`, a refusal this one restates for its caller."""
        self.audited, self.audit, self.audit_id = other.audited, other.audit, other.audit_id


def out_of_scope(
    *, object_type: str, object_id: str | int, area_code: str
) -> PermissionDeniedError:
    """The refusal for a record that exists but lies outside the reader's area."""
    return PermissionDeniedError(
        field=object_type,
        code="out_of_scope",
        message=_("This record lies outside your area."),
        object_type=object_type,
        object_id=object_id,
        area_code=area_code,
    )
