from django.http import HttpResponse
from django.urls import include, path


def home(request):
    who = request.user.username if request.user.is_authenticated else ""
    if who:
        return HttpResponse('<!DOCTYPE html><title>Home</title><p id="who">Signed in as %s</p>' % who)
    return HttpResponse('<!DOCTYPE html><title>Home</title><a href="/accounts/labop/login/">Sign in</a>')


urlpatterns = [
    path("", home),
    path("accounts/", include("allauth.urls")),
]
