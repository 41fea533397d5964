from django.urls import path

from scheduling import views

app_name = "scheduling"

urlpatterns = [
    path("", views.calendar, name="calendar"),
    path("orders/<int:order_pk>/slots/", views.find_slots, name="slots"),
    path("book/", views.book, name="book"),
    path("appointments/<int:pk>/", views.appointment_detail, name="appointment"),
    path("appointments/<int:pk>/reschedule/", views.reschedule, name="reschedule"),
    path("appointments/<int:pk>/cancel/", views.cancel, name="cancel"),
    path("appointments/<int:pk>/modify/", views.modify, name="modify"),
    path("appointments/<int:pk>/arrived/", views.arrived, name="arrived"),
    path("appointments/<int:pk>/no-show/", views.no_show, name="no_show"),
    path("appointments/<int:pk>/preparation/", views.preparation, name="preparation"),
    path("board/", views.board, name="board"),
    path("board/rows/", views.board_rows_partial, name="board_rows"),
    path("exams/<int:order_pk>/note/", views.exam_note, name="note"),
    path("exams/<int:order_pk>/<str:action>/", views.exam_action, name="exam"),
    path("review/", views.review, name="review"),
]
