"""Transport and lab API, mounted at /api/v1/lab: results (`api_results`), boxes and tubes
(`api_boxes`), on the one router of `api_common`. Every write takes an `Idempotency-Key`
header.

Operation ids keep the names they had when this API lived in `testing`: clients generated
from the schema call them by name.
"""

from . import api_boxes, api_results
from .api_common import router

__all__ = ["api_boxes", "api_results", "router"]
