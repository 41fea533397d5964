from rest_framework.routers import SimpleRouter

from scheduling.api.views import AppointmentViewSet, PerformedStepViewSet, ResourceViewSet

router = SimpleRouter()
router.register("resources", ResourceViewSet, basename="resource")
router.register("appointments", AppointmentViewSet, basename="appointment")
router.register("performed-steps", PerformedStepViewSet, basename="performedstep")

urlpatterns = router.urls
