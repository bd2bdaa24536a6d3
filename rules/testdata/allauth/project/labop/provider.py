# A generic OAuth 2.0 / OpenID Connect provider for django-allauth 0.51 (which
# has no openid_connect provider yet), written the way allauth's own
# providers are (allauth/socialaccount/providers/keycloak): its endpoints are
# the lab provider's, read from SOCIALACCOUNT_PROVIDERS["labop"]["OP"].
from allauth.socialaccount.providers.base import ProviderAccount
from allauth.socialaccount.providers.oauth2.provider import OAuth2Provider


class LabAccount(ProviderAccount):
    pass


class LabProvider(OAuth2Provider):
    id = "labop"
    name = "Lab OP"
    account_class = LabAccount

    def get_default_scope(self):
        return ["openid", "profile"]

    def extract_uid(self, data):
        return str(data["sub"])

    def extract_common_fields(self, data):
        return dict(username=data.get("sub"), name=data.get("name"))


provider_classes = [LabProvider]
