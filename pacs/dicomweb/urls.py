from django.urls import path

from pacs.dicomweb import views

app_name = "dicomweb"

S = "<str:study>"
SE = "<str:series>"
IN = "<str:instance>"

urlpatterns = [
    path("studies", views.search_studies_or_store, name="studies"),
    path(f"studies/{S}", views.study_or_store, name="study"),
    path(f"studies/{S}/metadata", views.metadata, name="study-metadata"),
    path(f"studies/{S}/series", views.search_series, name="study-series"),
    path(f"studies/{S}/instances", views.search_instances, name="study-instances"),
    path(f"studies/{S}/series/{SE}", views.retrieve, name="series"),
    path(f"studies/{S}/series/{SE}/metadata", views.metadata, name="series-metadata"),
    path(f"studies/{S}/series/{SE}/instances", views.search_instances, name="series-instances"),
    path(f"studies/{S}/series/{SE}/instances/{IN}", views.retrieve, name="instance"),
    path(f"studies/{S}/series/{SE}/instances/{IN}/metadata", views.metadata, name="instance-metadata"),
    path(f"studies/{S}/series/{SE}/instances/{IN}/frames/<str:frame_list>", views.frames, name="frames"),
    path(f"studies/{S}/series/{SE}/instances/{IN}/bulkdata/<str:tag>", views.bulkdata, name="bulkdata"),
    path(f"studies/{S}/rendered", views.rendered, name="study-rendered"),
    path(f"studies/{S}/thumbnail", views.thumbnail, name="study-thumbnail"),
    path(f"studies/{S}/series/{SE}/rendered", views.rendered, name="series-rendered"),
    path(f"studies/{S}/series/{SE}/thumbnail", views.thumbnail, name="series-thumbnail"),
    path(f"studies/{S}/series/{SE}/instances/{IN}/rendered", views.rendered, name="instance-rendered"),
    path(f"studies/{S}/series/{SE}/instances/{IN}/thumbnail", views.thumbnail, name="instance-thumbnail"),
    path(
        f"studies/{S}/series/{SE}/instances/{IN}/frames/<str:frame_list>/rendered",
        views.rendered,
        name="frame-rendered",
    ),
    path("series", views.search_series, name="all-series"),
    path("instances", views.search_instances, name="all-instances"),
]
