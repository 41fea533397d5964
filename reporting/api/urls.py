from rest_framework.routers import SimpleRouter

from reporting.api.views import CriticalResultViewSet, ReportViewSet

router = SimpleRouter()
router.register("reports", ReportViewSet, basename="report")
router.register("critical-results", CriticalResultViewSet, basename="critical-result")

urlpatterns = router.urls
