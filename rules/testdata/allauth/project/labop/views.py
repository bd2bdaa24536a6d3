import requests

from allauth.socialaccount import app_settings
from allauth.socialaccount.providers.oauth2.views import (
    OAuth2Adapter,
    OAuth2CallbackView,
    OAuth2LoginView,
)

from .provider import LabProvider


class LabOAuth2Adapter(OAuth2Adapter):
    provider_id = LabProvider.id
    supports_state = True
    op = app_settings.PROVIDERS.get(provider_id, {}).get("OP")
    authorize_url = op + "/auth"
    access_token_url = op + "/token"
    profile_url = op + "/me"

    def complete_login(self, request, app, token, response):
        resp = requests.get(self.profile_url, headers={"Authorization": "Bearer " + token.token})
        resp.raise_for_status()
        return self.get_provider().sociallogin_from_response(request, resp.json())


oauth2_login = OAuth2LoginView.adapter_view(LabOAuth2Adapter)
oauth2_callback = OAuth2CallbackView.adapter_view(LabOAuth2Adapter)
