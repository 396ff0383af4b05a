from .care import MAX_REFILL_DAYS, CareProfile
from .counselling import CounsellingAssignment, CounsellingNote
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
from .trips import FINISHED_TRIP_STATES, DesignatedHospital, MedicalTrip, TripState

__all__ = [
    "FINISHED_TRIP_STATES",
    "MAX_REFILL_DAYS",
    "OPEN_STATES",
    "CareProfile",
    "Channel",
    "CounsellingAssignment",
    "CounsellingNote",
    "DesignatedHospital",
    "MedicalTrip",
    "Priority",
    "Progress",
    "RequestEvent",
    "RequestLine",
    "RequestState",
    "ServiceRequest",
    "TripState",
]
