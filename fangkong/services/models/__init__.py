from .care import MAX_REFILL_DAYS, CareProfile
from .requests import (
    OPEN_STATES,
    Channel,
    Priority,
    Progress,
    RequestEvent,
    RequestLine,
    RequestState,
    ServiceRequest,
)

__all__ = [
    "MAX_REFILL_DAYS",
    "OPEN_STATES",
    "CareProfile",
    "Channel",
    "Priority",
    "Progress",
    "RequestEvent",
    "RequestLine",
    "RequestState",
    "ServiceRequest",
]
