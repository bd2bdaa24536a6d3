package pcap

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestCapturedTwice reads dup-lo-any.pcapng, which dumpcap took on the
// loopback interface (Ethernet) and on "any" (Linux cooked v2) at once,
// while h2streams.pcap was taken of the same run: each packet is in it
// twice, the copies of one interface written in batches after the
// other's, some after their connection had closed. The copies made a
// second, headless HTTP/2 connection and an "orphan response" note; each
// exchange is read once, as from the single capture, and a note counts
// the copies.
func TestCapturedTwice(t *testing.T) {
	want, _ := readFile(t, "h2streams.pcap", Options{})
	exs, notes := readFile(t, "dup-lo-any.pcapng", Options{})
	if diff := cmp.Diff(h2Rows(want), h2Rows(exs)); diff != "" {
		t.Errorf("exchanges differ from the single capture's (-want +got):\n%s", diff)
	}
	text := notesText(notes)
	if len(notes) != 1 || !strings.Contains(text, "duplicate  70 TCP packets captured twice (on more than one interface) read once") {
		t.Errorf("notes:\n%s", text)
	}
}

// TestCookedV2 reads the "any" interface's half of dup-lo-any.pcapng
// alone: a Linux cooked v2 (SLL2, link type 276) capture made by dumpcap.
func TestCookedV2(t *testing.T) {
	want, _ := readFile(t, "h2streams.pcap", Options{})
	var sll2 []rawPacket
	for _, p := range loadPackets(t, "dup-lo-any.pcapng") {
		if p.linkType == linkTypeSLL2 {
			sll2 = append(sll2, p)
		}
	}
	if len(sll2) != 70 {
		t.Fatalf("%d SLL2 packets, want 70", len(sll2))
	}
	exs, notes := readBytes(t, writePcapBigEndian(sll2))
	if diff := cmp.Diff(h2Rows(want), h2Rows(exs)); diff != "" {
		t.Errorf("exchanges differ from the Ethernet capture's (-want +got):\n%s", diff)
	}
	if len(notes) != 0 {
		t.Errorf("notes:\n%s", notesText(notes))
	}
}
