#!/bin/bash
# Records docker-bridge-any.pcap (bash gen-docker-bridge.sh docker-bridge-any.pcap, as root), the
# network Docker gives a container, built by hand: a "container" namespace (172.17.0.2) on a veth
# whose other end is a port of the bridge docker0 (172.17.0.1) in a "host" namespace, which
# masquerades what leaves by its uplink (192.0.2.10) to a "server" namespace (192.0.2.80) running
# python3 http.server (gen-nat-server.py). curl in the container asks the authorization URL, the
# callback and the token endpoint; tcpdump -i any in the host namespace sees each packet on the
# veth, on docker0 (same addresses) and, translated, on the uplink. Values are made up.
set -ux
here=$(pwd)
out=$1
for n in dc dh ds; do ip netns del $n 2>/dev/null; ip netns add $n; done
ip link add eth0c type veth peer name veth1a2b
ip link add uplink type veth peer name eths
ip link set eth0c netns dc; ip link set veth1a2b netns dh; ip link set uplink netns dh; ip link set eths netns ds
ip -n dh link add docker0 type bridge
ip -n dh addr add 172.17.0.1/16 dev docker0; ip -n dh link set docker0 up
ip -n dh link set veth1a2b master docker0; ip -n dh link set veth1a2b up
ip -n dh addr add 192.0.2.10/24 dev uplink; ip -n dh link set uplink up; ip -n dh link set lo up
ip -n dc addr add 172.17.0.2/16 dev eth0c; ip -n dc link set eth0c up; ip -n dc link set lo up
ip -n dc route add default via 172.17.0.1
ip -n ds addr add 192.0.2.80/24 dev eths; ip -n ds link set eths up; ip -n ds link set lo up
ip netns exec dh sysctl -qw net.ipv4.ip_forward=1
ip netns exec dh nft -f - <<'NFT'
table ip nat {
  chain post { type nat hook postrouting priority srcnat; ip saddr 172.17.0.0/16 oifname "uplink" masquerade; }
}
NFT
ip netns exec ds python3 "$here/gen-nat-server.py" & srv=$!
sleep 1
ip netns exec dh tcpdump -i any -s 0 -U -w $out & cap=$!
sleep 2
C="ip netns exec dc curl -sS -o /dev/null -w %{http_code}\n"
$C "http://192.0.2.80/authorize?response_type=code&client_id=bridge-demo&redirect_uri=http%3A%2F%2F192.0.2.80%2Fcallback&state=xyzBridge1&scope=openid"
$C "http://192.0.2.80/callback?code=BrIdGeCoDe0123456789&state=xyzBridge1"
$C -u bridge-demo:s3cr3t-bridge -d grant_type=authorization_code -d code=BrIdGeCoDe0123456789 -d redirect_uri=http%3A%2F%2F192.0.2.80%2Fcallback http://192.0.2.80/token
sleep 2
kill $cap; wait $cap
kill $srv
for n in dc dh ds; do ip netns del $n; done
