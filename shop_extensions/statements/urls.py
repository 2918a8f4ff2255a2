from django.urls import path

from shop_extensions.statements import views

app_name = "statements"

urlpatterns = [
    path("verify/", views.verify, name="verify"),
    path("verify/<str:code>/", views.verify_code, name="verify_code"),
    path("shared/<str:token>/", views.shared, name="shared"),
    path("<int:statement_id>/data.json", views.data_json, name="data_json"),
    path("<int:statement_id>/<str:kind>/", views.download, name="download"),
]
