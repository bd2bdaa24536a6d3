#!/bin/sh
# Records phpinfo.pcap: PHP's built-in web server (Debian's php-cli) serving
# info.php, which prints phpinfo() or, with ?dump=1, print_r of $_SERVER's
# credentials and var_dump of $_COOKIE; curl sends a Bearer token, Basic
# credentials, cookies and an X-Api-Key; the server's environment holds a
# database password and an API key. Needs root (tcpdump on lo, unshare for a
# neutral host name): apt-get install -y php-cli tcpdump curl
set -eu
cd "$(dirname "$0")"
root=/srv/traceaudit-phpinfo
mkdir -p "$root"
cp info.php "$root/"
unshare --uts sh -c "hostname phpinfo-lab; exec env -i PATH=/usr/bin:/bin DB_PASSWORD=PhpEnvDbPw7731xQ \
	STRIPE_API_KEY=sk_test_51PhpInfoKey0a9b8c7d php -S 127.0.0.1:8089 -t $root" >/dev/null 2>&1 &
php=$!
sleep 1
tcpdump -i lo -s 0 -U -w phpinfo.pcap 'tcp port 8089' 2>/dev/null &
dump=$!
sleep 1
curl -s -o /dev/null -H 'Authorization: Bearer PhpBearerTok9c2Lm4Q' -H 'Cookie: PHPSESSID=phpSess5s8d7f6g1h2; theme=dark' \
	-H 'X-Api-Key: PhpXApiKey31415Zz' http://127.0.0.1:8089/info.php
curl -s -o /dev/null -u 'bob:PhpBasicPw2718Kq' -H 'Cookie: PHPSESSID=phpSess5s8d7f6g1h2' http://127.0.0.1:8089/info.php
curl -s -o /dev/null -u 'bob:PhpBasicPw2718Kq' -H 'Cookie: PHPSESSID=phpSess5s8d7f6g1h2' 'http://127.0.0.1:8089/info.php?dump=1'
sleep 1
kill "$dump" "$php"
rm -r "$root"
