from rest_framework.routers import SimpleRouter

from billing.api.views import ChargeViewSet, ClaimViewSet, ExportViewSet, FeeViewSet, PayerViewSet

router = SimpleRouter()
router.register("billing/payers", PayerViewSet, basename="billing-payer")
router.register("billing/fees", FeeViewSet, basename="billing-fee")
router.register("billing/charges", ChargeViewSet, basename="billing-charge")
router.register("billing/claims", ClaimViewSet, basename="billing-claim")
router.register("billing/exports", ExportViewSet, basename="billing-export")

urlpatterns = router.urls
