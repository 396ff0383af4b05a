"""Transport and lab API, mounted at /api/v1/lab: results (`api_results`), boxes and tubes
(`api_boxes`). Every write takes an `Idempotency-Key` header (`api_common`)."""

from ninja import Router

from .api_boxes import router as boxes_router
from .api_results import router as results_router

router = Router(tags=["lab"])
router.add_router("", results_router)
router.add_router("", boxes_router)
