#!/bin/bash
# Records frag-bridge-any.pcap (bash gen-frag-bridge.sh frag-bridge-any.pcap, as root): two network
# namespaces joined through a Linux bridge in a third; tcpdump -i any in the bridge's namespace sees
# every frame on the port it enters by and on the port it leaves by, one after the other.
# python3 sends three UDP datagrams of 3,000 bytes to a python3 UDP echo server, which sends each
# back: the kernels fragment each into three IPv4 fragments at the veth's MTU of 1,500; then curl
# fetches a page from python3 http.server.
set -ux
out=$1
for n in fa fb fr; do ip netns del $n 2>/dev/null; ip netns add $n; done
ip link add va type veth peer name pa
ip link add vb type veth peer name pb
ip link set va netns fa; ip link set vb netns fb; ip link set pa netns fr; ip link set pb netns fr
ip -n fr link add br0 type bridge
ip -n fr link set pa master br0; ip -n fr link set pb master br0
ip -n fr link set br0 up; ip -n fr link set pa up; ip -n fr link set pb up
ip -n fa addr add 198.51.100.1/24 dev va; ip -n fa link set va up; ip -n fa link set lo up
ip -n fb addr add 198.51.100.2/24 dev vb; ip -n fb link set vb up; ip -n fb link set lo up
ip netns exec fb python3 -m http.server 80 --bind 198.51.100.2 >/dev/null 2>&1 & srv=$!
ip netns exec fb python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("198.51.100.2", 7007))
while True:
    d, a = s.recvfrom(65536)
    s.sendto(d, a)
' & echo=$!
sleep 1
ip netns exec fr tcpdump -i any -s 0 -U -w $out & cap=$!
sleep 2
ip netns exec fa python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
for i in range(3):
    s.sendto(bytes([65 + i]) * 3000, ("198.51.100.2", 7007))
    print(len(s.recv(65536)))
    time.sleep(0.2)
'
ip netns exec fa curl -sS -o /dev/null -w '%{http_code}\n' http://198.51.100.2/
sleep 2
kill $cap; wait $cap
kill $srv $echo
for n in fa fb fr; do ip netns del $n; done
