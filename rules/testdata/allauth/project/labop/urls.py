from allauth.socialaccount.providers.oauth2.urls import default_urlpatterns

from .provider import LabProvider

urlpatterns = default_urlpatterns(LabProvider)
