#!/bin/bash
# Records nat-any.pcap (sh gen-nat.sh any nat-any.pcap), nat-two-if.pcapng
# (sh gen-nat.sh twoif nat-two-if.pcapng) and nat-span.pcap (sh gen-nat.sh span nat-span.pcap): curl 7.88.1 in one network namespace
# reaches python3 http.server in another through a third that routes between them
# with nftables DNAT (192.168.77.1:8080 -> 203.0.113.80:80) and "masquerade random"
# (source 192.168.77.2 -> 203.0.113.1, a random port); the router namespace is
# captured by tcpdump 4.99.3 -i any (Linux cooked v2), by dumpcap 4.0.17 on its two
# veth interfaces, or by tcpdump on a mirror of both. nat-span-snat.pcap (sh gen-nat.sh span-snat
# nat-span-snat.pcap): the mirror, the router masquerading only (curl reaches 203.0.113.80:80), the
# client namespace without TCP timestamps. Needs root, iproute2, nftables. Values are made up.
set -ux
here=$(pwd)
mode=$1 out=$2
for n in c10 r10 s10; do ip netns del $n 2>/dev/null; ip netns add $n; done
ip link add vc type veth peer name vri
ip link add vro type veth peer name vs
ip link set vc netns c10; ip link set vri netns r10; ip link set vro netns r10; ip link set vs netns s10
ip -n c10 addr add 192.168.77.2/24 dev vc; ip -n c10 link set vc up; ip -n c10 link set lo up
ip -n r10 addr add 192.168.77.1/24 dev vri; ip -n r10 addr add 203.0.113.1/24 dev vro
ip -n r10 link set vri up; ip -n r10 link set vro up; ip -n r10 link set lo up
ip -n s10 addr add 203.0.113.80/24 dev vs; ip -n s10 link set vs up; ip -n s10 link set lo up
ip -n c10 route add default via 192.168.77.1
ip -n s10 route add default via 203.0.113.1
ip netns exec r10 sysctl -qw net.ipv4.ip_forward=1
base=http://192.168.77.1:8080
if [ "$mode" = span-snat ]; then
  # Source translation alone (the client reaches the server's own address, as behind a home or
  # office router), and a client stack without TCP timestamps (Windows' default).
  base=http://203.0.113.80
  ip netns exec c10 sysctl -qw net.ipv4.tcp_timestamps=0
  ip netns exec r10 nft -f - <<'NFT'
table ip nat {
  chain pre { type nat hook prerouting priority dstnat; }
  chain post { type nat hook postrouting priority srcnat; oifname "vro" masquerade random; }
}
NFT
else
ip netns exec r10 nft -f - <<'NFT'
table ip nat {
  chain pre { type nat hook prerouting priority dstnat; iifname "vri" tcp dport 8080 dnat to 203.0.113.80:80; }
  chain post { type nat hook postrouting priority srcnat; oifname "vro" masquerade random; }
}
NFT
fi
ip netns exec s10 python3 "$here/gen-nat-server.py" & srv=$!
sleep 1
if [ "$mode" = any ]; then
  ip netns exec r10 tcpdump -i any -s 0 -w $out -U & cap=$!
elif [ "$mode" = span ] || [ "$mode" = span-snat ]; then
  # A mirror port: what enters or leaves either router interface is copied (tc, u32 match-all,
  # mirred) to a veth, whose peer tcpdump captures (one Ethernet interface).
  ip -n r10 link add span0 type veth peer name span1; ip -n r10 link set span0 up; ip -n r10 link set span1 up
  for i in vri vro; do
    ip netns exec r10 tc qdisc add dev $i clsact
    ip netns exec r10 tc filter add dev $i ingress u32 match u32 0 0 action mirred egress mirror dev span0
    ip netns exec r10 tc filter add dev $i egress u32 match u32 0 0 action mirred egress mirror dev span0
  done
  ip netns exec r10 tcpdump -i span1 -s 0 -w $out -U & cap=$!
else
  ip netns exec r10 dumpcap -q -i vri -i vro -w $out & cap=$!
fi
sleep 2
C="ip netns exec c10 curl -sS -o /dev/null -w %{http_code}\n"
$C "$base/authorize?response_type=code&client_id=nat-demo&redirect_uri=http%3A%2F%2F192.168.77.1%3A8080%2Fcallback&state=af0ifjsldkj&scope=openid"
$C "$base/callback?code=SplxlOBeZQQYbYS6WxSbIA&state=af0ifjsldkj"
$C -u nat-demo:s3cr3t-nat -d grant_type=authorization_code -d code=SplxlOBeZQQYbYS6WxSbIA -d redirect_uri=http%3A%2F%2F192.168.77.1%3A8080%2Fcallback $base/token
if [ "$mode" = span-snat ]; then
  # Genuine repeats: the token request again on the same connection, then on a new one.
  T="-u nat-demo:s3cr3t-nat -d grant_type=authorization_code -d code=SplxlOBeZQQYbYS6WxSbIA -d redirect_uri=http%3A%2F%2F192.168.77.1%3A8080%2Fcallback $base/token"
  ip netns exec c10 curl -sS -o /dev/null -o /dev/null $T --next $T
  $C $T
fi
if [ "$mode" = any ]; then
  # Genuine repeats that must stay two requests: the same token request sent again on the same
  # connection (curl --next) and then on a new connection, bytes identical to the first.
  T="-u nat-demo:s3cr3t-nat -d grant_type=authorization_code -d code=SplxlOBeZQQYbYS6WxSbIA -d redirect_uri=http%3A%2F%2F192.168.77.1%3A8080%2Fcallback http://192.168.77.1:8080/token"
  ip netns exec c10 curl -sS -o /dev/null -o /dev/null $T --next $T
  $C $T
fi
sleep 2
kill $cap; wait $cap
kill $srv
for n in c10 r10 s10; do ip netns del $n; done
