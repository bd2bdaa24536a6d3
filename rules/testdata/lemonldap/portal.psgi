# LemonLDAP::NG's portal as Debian's nginx site serves it
# (/etc/lemonldap-ng/portal-nginx.conf): /static/ and /javascript/ from the
# file system, everything else to the portal's index.psgi. For gen.sh,
# served by Starman.
use Plack::Builder;
use Plack::App::File;

my $portal = do '/usr/share/lemonldap-ng/portal/htdocs/index.psgi' or die "index.psgi: $@ $!";
builder {
    mount '/static/'     => Plack::App::File->new( root => '/usr/share/lemonldap-ng/portal/htdocs/static/' )->to_app;
    mount '/javascript/' => Plack::App::File->new( root => '/usr/share/javascript/' )->to_app;
    mount '/'            => $portal;
};
