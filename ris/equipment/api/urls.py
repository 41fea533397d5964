from rest_framework.routers import SimpleRouter

from ris.equipment.api.views import ModalityViewSet, RoomViewSet

router = SimpleRouter()
router.register("modalities", ModalityViewSet, basename="modality")
router.register("rooms", RoomViewSet, basename="room")

urlpatterns = router.urls
