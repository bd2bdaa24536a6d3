#!/bin/bash
# Records a real sign-in through a byte-copying relay on loopback, captured by
# tcpdump on lo: every request once on client -> relay and once on relay -> server.
#   bash gen-relay.sh RELAY TLS DOUBLE OUT
# RELAY: socat | socat-twoif (curl in a network namespace, dumpcap on the veth and lo) | haproxy | nginx (nginx stream module) | nginx-term (the stream
#        module ending TLS and opening its own to the provider; with tls) | ssh (ssh -L
#        through sshd on 127.0.0.1:2222) | none
# TLS:   tls (the provider serves HTTPS, the relay passes it through) | h2 (the same,
#        HTTP/2 by ALPN for curl and the RP) | plain
# DOUBLE: double (the callback requested twice, 40 ms apart, as a double click
#         does: the RP redeems the code twice) | once
# OUT: the capture; OUT's name with .keys.log holds the TLS key log (curl's and
#      the provider's and RP client's).
# The provider is the lab's ory/fosite and its server-side RP (testdata/lab,
# record -serve); the client is curl. Needs root, tcpdump, socat, haproxy, nginx
# with libnginx-mod-stream, and Go for the lab recorder.
set -eu
relay=$1 tls=$2 double=$3 out=$4
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
(cd "$here/../../testdata/lab" && go build -o "$work/record" ./cmd/record)
keys=${out%.*}.keys.log
rm -f "$keys"
: >"$keys"
opb=19443 rpb=19080 opf=18443 rpf=18080
if [ "$relay" = none ]; then opf=$opb rpf=$rpb; fi
tlsflag=
[ "$tls" = tls ] && tlsflag=-op-tls
[ "$tls" = h2 ] && tlsflag="-op-tls -op-h2"
"$work/record" -serve -op-port $opb -rp-port $rpb -op-public $opf -rp-public $rpf $tlsflag \
	-keylog "$keys" -info "$work/info.json" -cert-out "$work/cert.pem" 2>"$work/serve.log" &
for _ in $(seq 50); do [ -s "$work/info.json" ] && break; sleep 0.2; done
# socat-twoif: curl in a network namespace reaches socat over a veth pair, and dumpcap
# captures the veth and lo at once (a pcapng file with two interfaces).
to=127.0.0.1
if [ "$relay" = socat-twoif ]; then
	ip netns del c20 2>/dev/null || true
	ip netns add c20
	ip link add vh20 type veth peer name vc20
	ip link set vc20 netns c20
	ip addr add 10.77.0.1/24 dev vh20
	ip link set vh20 up
	ip -n c20 addr add 10.77.0.2/24 dev vc20
	ip -n c20 link set vc20 up
	ip -n c20 link set lo up
	trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null; ip netns del c20; rm -rf "$work"' EXIT
	to=10.77.0.1
fi
case $relay in
socat-twoif)
	socat TCP-LISTEN:$opf,reuseaddr,fork TCP:127.0.0.1:$opb &
	socat TCP-LISTEN:$rpf,reuseaddr,fork TCP:127.0.0.1:$rpb &
	;;
socat)
	socat TCP-LISTEN:$opf,bind=127.0.0.1,reuseaddr,fork TCP:127.0.0.1:$opb &
	socat TCP-LISTEN:$rpf,bind=127.0.0.1,reuseaddr,fork TCP:127.0.0.1:$rpb &
	;;
haproxy)
	cat >"$work/haproxy.cfg" <<EOF
global
	log stderr format raw local0 info
defaults
	mode tcp
	timeout connect 2s
	timeout client 10s
	timeout server 10s
listen op
	bind 127.0.0.1:$opf
	server op 127.0.0.1:$opb
listen rp
	bind 127.0.0.1:$rpf
	server rp 127.0.0.1:$rpb
EOF
	haproxy -db -f "$work/haproxy.cfg" &
	;;
nginx)
	cat >"$work/nginx.conf" <<EOF
load_module /usr/lib/nginx/modules/ngx_stream_module.so;
daemon off;
pid $work/nginx.pid;
error_log stderr;
events {}
stream {
	server { listen 127.0.0.1:$opf; proxy_pass 127.0.0.1:$opb; }
	server { listen 127.0.0.1:$rpf; proxy_pass 127.0.0.1:$rpb; }
}
EOF
	nginx -c "$work/nginx.conf" -e stderr &
	;;
nginx-term)
	# ends the client's TLS with the provider's certificate and opens a TLS
	# connection of its own to the provider (proxy_ssl): the same plaintext
	# in two TLS sessions
	cat >"$work/nginx.conf" <<EOF
load_module /usr/lib/nginx/modules/ngx_stream_module.so;
daemon off;
pid $work/nginx.pid;
error_log stderr;
events {}
stream {
	server { listen 127.0.0.1:$opf ssl; ssl_certificate $work/cert.pem; ssl_certificate_key $work/cert.pem;
		proxy_pass 127.0.0.1:$opb; proxy_ssl on; }
	server { listen 127.0.0.1:$rpf; proxy_pass 127.0.0.1:$rpb; }
}
EOF
	nginx -c "$work/nginx.conf" -e stderr &
	;;
ssh)
	# ssh -L: the client's connection ends at ssh, whose channel (encrypted, on port 2222)
	# sshd turns into its own connection to the server
	mkdir -p /run/sshd
	ssh-keygen -q -t ed25519 -N '' -f "$work/host"
	ssh-keygen -q -t ed25519 -N '' -f "$work/user"
	cp "$work/user.pub" "$work/authorized_keys"
	cat >"$work/sshd_config" <<EOF
ListenAddress 127.0.0.1:2222
HostKey $work/host
AuthorizedKeysFile $work/authorized_keys
PermitRootLogin prohibit-password
StrictModes no
PidFile $work/sshd.pid
EOF
	/usr/sbin/sshd -D -f "$work/sshd_config" &
	sleep 0.5
	ssh -N -p 2222 -i "$work/user" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ExitOnForwardFailure=yes \
		-L 127.0.0.1:$opf:127.0.0.1:$opb -L 127.0.0.1:$rpf:127.0.0.1:$rpb root@127.0.0.1 &
	sleep 1
	;;
none) ;;
esac
sleep 0.5
filter="tcp port $opf or tcp port $opb or tcp port $rpf or tcp port $rpb"
if [ "$relay" = socat-twoif ]; then
	dumpcap -q -i vh20 -i lo -f "$filter" -w "$out" 2>"$work/tcpdump.log" &
else
	tcpdump -i lo -U -w "$out" "$filter" 2>"$work/tcpdump.log" &
fi
dump=$!
sleep 1
j() { python3 -c "import json,sys; print(json.load(open('$work/info.json'))['$1'])"; }
export SSLKEYLOGFILE=$keys
c="curl -sS -k --connect-to ::$to: -o /dev/null"
[ "$relay" = socat-twoif ] && c="ip netns exec c20 $c"
auth=$($c -c "$work/jar" -w '%{redirect_url}' "$(j rp)/login")
$c -b "$work/jar" "$auth"
cb=$($c -b "$work/jar" -w '%{redirect_url}' --data-urlencode "username=$(j username)" --data-urlencode "password=$(j password)" "$auth")
case $cb in *code=*) ;; *) echo "no code: $cb" >&2; exit 1 ;; esac
if [ "$double" = double ]; then
	$c -b "$work/jar" "$cb" &
	sleep 0.04
	$c -b "$work/jar" "$cb"
	wait %%
else
	$c -b "$work/jar" "$cb"
fi
sleep 1
kill $dump
wait $dump || true
cat "$work/tcpdump.log" >&2
grep -E "token (issued|rejected)" "$work/serve.log" >&2 || true
