# Run by ../../gen.sh after migrate: the site and the social app (test-only secret).
from django.contrib.sites.models import Site

from allauth.socialaccount.models import SocialApp

site = Site.objects.get(pk=1)
site.domain, site.name = "localhost:4862", "lab"
site.save()
app = SocialApp.objects.create(
    provider="labop", name="Lab OP", client_id="allauth-app",
    secret="test-only-client-secret-for-allauth-app",
)
app.sites.add(site)
