package tlsdec

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"testing"

	"github.com/google/gopacket/pcapgo"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/pcap"
)

// TestLostRequestRecord reads the lab's fosite sign-in (TLS 1.3,
// HTTP/1.1 keep-alive) without frame 9, the TLS record of GET /login on
// the connection that later carries /callback and /home. The capture
// holds the next request (frame 47) past that hole, and the server's
// packets acknowledge the hole. The server's answers used to reach the
// parser before the bytes after the hole (the hole was filled only after
// the acknowledging packet was delivered): the 302 of /login and of
// /callback were dropped as answering requests not captured, /callback
// got /home's 200 and /home none. Every request must keep its own
// response.
func TestLostRequestRecord(t *testing.T) {
	raw, err := os.ReadFile("testdata/lab-clean-fosite-http1-tls.pcap")
	if err != nil {
		t.Fatal(err)
	}
	r, err := pcapgo.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	var all, cut bytes.Buffer
	wa, wc := pcapgo.NewWriterNanos(&all), pcapgo.NewWriterNanos(&cut)
	for _, w := range []*pcapgo.Writer{wa, wc} {
		if err := w.WriteFileHeader(262144, r.LinkType()); err != nil {
			t.Fatal(err)
		}
	}
	for frame := 1; ; frame++ {
		data, ci, err := r.ReadPacketData()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := wa.WritePacket(ci, data); err != nil {
			t.Fatal(err)
		}
		if frame == 9 {
			if !bytes.Contains(data, []byte{0x17, 0x03, 0x03}) || ci.CaptureLength < 700 {
				t.Fatalf("frame 9 is not the application data record of GET /login (%d bytes)", ci.CaptureLength)
			}
			continue
		}
		if err := wc.WritePacket(ci, data); err != nil {
			t.Fatal(err)
		}
	}
	kf, err := os.Open("testdata/lab-clean-fosite-http1-tls.keys")
	if err != nil {
		t.Fatal(err)
	}
	defer kf.Close()
	keys, err := ParseKeyLog(kf)
	if err != nil {
		t.Fatal(err)
	}
	read := func(b []byte) ([]*model.Exchange, []model.Note) {
		pr, err := pcap.NewReader(bytes.NewReader(b), pcap.Options{Decrypter: NewDecrypter(keys).StreamDecrypter()})
		if err != nil {
			t.Fatal(err)
		}
		exs, err := model.ReadAll(pr)
		if err != nil {
			t.Fatal(err)
		}
		return exs, pr.Notes()
	}
	answer := func(ex *model.Exchange) string {
		if ex.Response == nil {
			return "none"
		}
		return fmt.Sprint(ex.Response.Status, ex.Response.Headers)
	}
	base, _ := read(all.Bytes())
	want := map[string]string{}
	for _, ex := range base {
		want[ex.Request.Method+" "+ex.Request.URL] = answer(ex)
	}
	exs, notes := read(cut.Bytes())
	if len(exs) != len(base)-1 {
		t.Errorf("%d exchanges, want %d (all but /login)", len(exs), len(base)-1)
	}
	for _, ex := range exs {
		key := ex.Request.Method + " " + ex.Request.URL
		if got := answer(ex); got != want[key] {
			t.Errorf("%s %.60s: response %.80s, want %.80s", ex.Ref, key, got, want[key])
		}
	}
	gap := false
	for _, n := range notes {
		gap = gap || n.Kind == model.NoteGap && n.Ref == "frame 46"
	}
	if !gap {
		t.Errorf("no gap note names frame 46 (frame 47 of the capture): %v", notes)
	}
}

