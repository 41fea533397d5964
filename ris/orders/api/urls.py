from rest_framework.routers import SimpleRouter

from ris.orders.api.views import OrderViewSet, ProcedureViewSet

router = SimpleRouter()
router.register("procedures", ProcedureViewSet, basename="procedure")
router.register("orders", OrderViewSet, basename="order")

urlpatterns = router.urls
