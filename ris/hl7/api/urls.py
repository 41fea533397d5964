from rest_framework.routers import SimpleRouter

from ris.hl7.api.views import MessageViewSet, PartnerViewSet

router = SimpleRouter()
router.register("hl7/partners", PartnerViewSet, basename="hl7-partner")
router.register("hl7/messages", MessageViewSet, basename="hl7-message")

urlpatterns = router.urls
