package pcap

import (
	"strings"
	"testing"
)

// TestFragmentsCapturedTwice reads frag-bridge-any.pcap, tcpdump -i any in
// the namespace of a Linux bridge while UDP datagrams of 3,000 bytes, each
// fragmented into three by the sending kernel, crossed it both ways: every
// fragment is in the capture twice, as it entered the bridge and as it
// left it, one copy right after the other. The second copy of a datagram's
// last fragment, read after the datagram was complete, began one that
// never completed: "6 IPv4 datagrams could not be reassembled from their
// fragments", though none was lost. Each fragment is read once, a note
// counts the copies, and the HTTP exchange of the same capture is read
// once.
func TestFragmentsCapturedTwice(t *testing.T) {
	exs, notes := readFile(t, "frag-bridge-any.pcap", Options{})
	if len(exs) != 1 || exs[0].Request.Method != "GET" || exs[0].Response == nil || exs[0].Response.Status != 200 {
		t.Errorf("exchanges %v", summary(exs))
	}
	text := notesText(notes)
	if strings.Contains(text, "could not be reassembled") || !strings.Contains(text, "18 IP fragments captured twice read once") {
		t.Errorf("notes:\n%s", text)
	}
}

// TestIPv4FragmentsTwice splits get.pcap's request packet into two IP
// fragments, as TestIPv4Fragments does, and gives each fragment twice, the
// copies one after the other, as a capture on two interfaces holds them:
// the request is read once, no datagram is said lost.
func TestIPv4FragmentsTwice(t *testing.T) {
	pkts := loadPackets(t, "get.pcap")
	var out []rawPacket
	for i, p := range pkts {
		if i != 3 { // frame 4 carries the request
			out = append(out, p)
			continue
		}
		for _, f := range splitIPv4(p, 64) {
			out = append(out, f, f)
		}
	}
	exs, notes := readBytes(t, writePcap(t, out, false))
	// The request is reassembled in the first copy of the second
	// fragment: frame 6.
	if len(exs) != 1 || exs[0].Ref != "frame 6" || exs[0].Request.URL != "http://bro.org/download/CHANGES.bro-aux.txt" || exs[0].Response == nil {
		t.Errorf("got %v; notes %v", summary(exs), notes)
	}
	text := notesText(notes)
	if strings.Contains(text, "could not be reassembled") || !strings.Contains(text, "2 IP fragments captured twice read once") {
		t.Errorf("notes:\n%s", text)
	}
}
