package pcap

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

	"github.com/traceaudit/traceaudit/model"
)

// These tests rewrite real captures (reorder, duplicate, drop or cut
// packets, change the container) and check what the reader makes of them.

type rawPacket struct {
	data     []byte
	ts       time.Time
	origLen  int
	linkType uint32
}

func loadPackets(t *testing.T, name string) []rawPacket {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	src, err := openCapture(f)
	if err != nil {
		t.Fatal(err)
	}
	var out []rawPacket
	for {
		p, err := src.next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, rawPacket{data: bytes.Clone(p.data), ts: p.ts, origLen: p.origLen, linkType: p.linkType &^ multiLinkFlag})
	}
}

func writePcap(t *testing.T, pkts []rawPacket, nanos bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	var w *pcapgo.Writer
	if nanos {
		w = pcapgo.NewWriterNanos(&buf)
	} else {
		w = pcapgo.NewWriter(&buf)
	}
	if err := w.WriteFileHeader(65536, layers.LinkType(pkts[0].linkType)); err != nil {
		t.Fatal(err)
	}
	for _, p := range pkts {
		ci := gopacket.CaptureInfo{Timestamp: p.ts, CaptureLength: len(p.data), Length: max(p.origLen, len(p.data))}
		if err := w.WritePacket(ci, p.data); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

// writePcapBigEndian writes the classic format in big-endian byte order,
// which pcapgo cannot.
func writePcapBigEndian(pkts []rawPacket) []byte {
	var buf bytes.Buffer
	be := binary.BigEndian
	hdr := make([]byte, 24)
	be.PutUint32(hdr, magicMicro)
	be.PutUint16(hdr[4:], 2)
	be.PutUint16(hdr[6:], 4)
	be.PutUint32(hdr[16:], 65535)
	be.PutUint32(hdr[20:], pkts[0].linkType)
	buf.Write(hdr)
	for _, p := range pkts {
		rec := make([]byte, 16)
		be.PutUint32(rec, uint32(p.ts.Unix()))
		be.PutUint32(rec[4:], uint32(p.ts.Nanosecond()/1000))
		be.PutUint32(rec[8:], uint32(len(p.data)))
		be.PutUint32(rec[12:], uint32(p.origLen))
		buf.Write(rec)
		buf.Write(p.data)
	}
	return buf.Bytes()
}

func writeSection(t *testing.T, w io.Writer, pkts []rawPacket) {
	t.Helper()
	ng, err := pcapgo.NewNgWriter(w, layers.LinkType(pkts[0].linkType))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pkts {
		ci := gopacket.CaptureInfo{Timestamp: p.ts, CaptureLength: len(p.data), Length: p.origLen}
		if err := ng.WritePacket(ci, p.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := ng.Flush(); err != nil {
		t.Fatal(err)
	}
}

func readBytes(t *testing.T, data []byte) ([]*model.Exchange, []model.Note) {
	t.Helper()
	r, err := NewReader(bytes.NewReader(data), Options{})
	if err != nil {
		t.Fatal(err)
	}
	exs, err := model.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return exs, r.Notes()
}

// summary is what must survive a rewrite: request, status, kept body.
func summary(exs []*model.Exchange) []string {
	var out []string
	for _, ex := range exs {
		s := ex.Ref + " " + ex.Request.Method + " " + ex.Request.URL
		if ex.Response != nil {
			s += " " + ex.Response.StatusText + " " + string(rune('0'+len(ex.Response.Body.Data)%10))
			s += " " + strings.Repeat("#", len(ex.Response.Body.Data)/1000)
		}
		out = append(out, s)
	}
	return out
}

func hasNote(notes []model.Note, kind string) bool {
	for _, n := range notes {
		if string(n.Kind) == kind {
			return true
		}
	}
	return false
}

func TestContainers(t *testing.T) {
	pkts := loadPackets(t, "pipelined-requests.pcap")
	want, _ := readFile(t, "pipelined-requests.pcap", Options{})
	if len(want) != 5 {
		t.Fatalf("baseline has %d exchanges, want 5", len(want))
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(writePcap(t, pkts, false))
	zw.Close()
	var ng bytes.Buffer
	writeSection(t, &ng, pkts)
	cases := map[string][]byte{
		"microseconds": writePcap(t, pkts, false),
		"nanoseconds":  writePcap(t, pkts, true),
		"big-endian":   writePcapBigEndian(pkts),
		"gzip":         gz.Bytes(),
		"pcapng":       ng.Bytes(),
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			if !Sniff(data[:min(len(data), 512)]) {
				t.Error("Sniff = false")
			}
			got, _ := readBytes(t, data)
			if len(got) != len(want) {
				t.Fatalf("%d exchanges, want %d", len(got), len(want))
			}
			for i := range got {
				if got[i].Ref != want[i].Ref || got[i].Request.URL != want[i].Request.URL || !got[i].Start.Equal(want[i].Start) || !got[i].End.Equal(want[i].End) {
					t.Errorf("exchange %d = %s %s %v..%v, want %s %s %v..%v", i, got[i].Ref, got[i].Request.URL, got[i].Start, got[i].End,
						want[i].Ref, want[i].Request.URL, want[i].Start, want[i].End)
				}
			}
		})
	}
}

// TestPcapngSections reads two sections with different byte orders of
// interfaces: frames count on across sections.
func TestPcapngSections(t *testing.T) {
	a := loadPackets(t, "get.pcap")
	b := loadPackets(t, "learngit-http-linux-sll.cap")
	var buf bytes.Buffer
	writeSection(t, &buf, a)
	writeSection(t, &buf, b)
	exs, _ := readBytes(t, buf.Bytes())
	var got []string
	for _, ex := range exs {
		got = append(got, ex.Ref+" "+ex.Request.URL)
	}
	want := []string{
		"frame 4 http://bro.org/download/CHANGES.bro-aux.txt",
		"frame 18 http://114.215.249.207:85/xflogin.aspx", // 14 packets in get.pcap, then frame 4 of the second
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestTCPDamage(t *testing.T) {
	pkts := loadPackets(t, "get.pcap") // response data in frames 6-9
	base, _ := readBytes(t, writePcap(t, pkts, false))
	if len(base) != 1 || base[0].Response == nil || len(base[0].Response.Body.Data) != 4705 {
		t.Fatalf("baseline: %v", summary(base))
	}
	swap := append([]rawPacket(nil), pkts...)
	swap[6], swap[7] = swap[7], swap[6]
	dup := append(append(append([]rawPacket(nil), pkts[:8]...), pkts[6]), pkts[8:]...)
	drop := append(append([]rawPacket(nil), pkts[:6]...), pkts[7:]...)
	dropTwo := append(append(append([]rawPacket(nil), pkts[:6]...), pkts[7]), pkts[9:]...)

	for name, c := range map[string]struct {
		pkts []rawPacket
		body int
		note string
	}{
		"out of order":   {swap, 4705, ""},
		"retransmission": {dup, 4705, ""},
		"lost segment":   {drop, 0, "gap"},
		"two lost":       {dropTwo, 0, "gap"},
	} {
		t.Run(name, func(t *testing.T) {
			exs, notes := readBytes(t, writePcap(t, c.pkts, false))
			if len(exs) != 1 || exs[0].Request.URL != base[0].Request.URL || exs[0].Response == nil {
				t.Fatalf("got %v", summary(exs))
			}
			body := exs[0].Response.Body
			if c.body > 0 && (len(body.Data) != c.body || body.Truncated) {
				t.Errorf("body %d bytes (truncated %v), want %d", len(body.Data), body.Truncated, c.body)
			}
			if c.note != "" {
				if !hasNote(notes, c.note) {
					t.Errorf("no %q note in %v", c.note, notes)
				}
				if !body.Truncated {
					t.Errorf("body not marked truncated")
				}
			}
		})
	}
}

func TestBadFiles(t *testing.T) {
	pkts := loadPackets(t, "get.pcap")
	whole := writePcap(t, pkts, false)
	snapped := append([]rawPacket(nil), pkts...)
	for i := range snapped {
		if len(snapped[i].data) > 120 {
			snapped[i].data = snapped[i].data[:120]
		}
	}
	bogus := bytes.Clone(whole)
	binary.LittleEndian.PutUint32(bogus[24+8:], 1<<30) // first record claims 1 GiB
	for name, c := range map[string]struct {
		data []byte
		note string
	}{
		"cut in half":   {whole[:len(whole)/2], "truncated"},
		"snap length":   {writePcap(t, snapped, false), "truncated"},
		"bogus length":  {bogus, "damaged"},
		"garbage after": {append(bytes.Clone(whole), bytes.Repeat([]byte{0xff}, 100)...), "damaged"},
	} {
		t.Run(name, func(t *testing.T) {
			_, notes := readBytes(t, c.data)
			if !hasNote(notes, c.note) {
				t.Errorf("no %q note in %v", c.note, notes)
			}
		})
	}
}
