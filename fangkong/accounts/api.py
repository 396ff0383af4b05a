from django.http import HttpRequest
from ninja import Router, Schema

router = Router(tags=["accounts"])


class MeOut(Schema):
    username: str
    role: str
    scope_code: str


@router.get("/me", response=MeOut)
def me(request: HttpRequest):
    """Who the caller is: user or device token, its role and scope."""
    actor = request.actor
    return {"username": actor.get_username(), "role": actor.role, "scope_code": actor.scope_code}
