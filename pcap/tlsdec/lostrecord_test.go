package tlsdec

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/pcapgo"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/pcap"
)

type rawFrame struct {
	ci   gopacket.CaptureInfo
	data []byte
}

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
//
// The same capture with frame 9 captured after frame 11, /login's 302
// (out of order): the 302 came before any plaintext of the client and was
// dropped the same way. Its packet acknowledged the request record
// captured after it, which tells that it answers it.
func TestLostRequestRecord(t *testing.T) {
	raw, err := os.ReadFile("testdata/lab-clean-fosite-http1-tls.pcap")
	if err != nil {
		t.Fatal(err)
	}
	r, err := pcapgo.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	var frames []rawFrame
	for {
		data, ci, err := r.ReadPacketData()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		frames = append(frames, rawFrame{ci, bytes.Clone(data)})
	}
	if f := frames[8]; !bytes.Contains(f.data, []byte{0x17, 0x03, 0x03}) || f.ci.CaptureLength < 700 {
		t.Fatalf("frame 9 is not the application data record of GET /login (%d bytes)", f.ci.CaptureLength)
	}
	write := func(fs []rawFrame) []byte {
		var buf bytes.Buffer
		w := pcapgo.NewWriterNanos(&buf)
		if err := w.WriteFileHeader(262144, r.LinkType()); err != nil {
			t.Fatal(err)
		}
		for _, f := range fs {
			if err := w.WritePacket(f.ci, f.data); err != nil {
				t.Fatal(err)
			}
		}
		return buf.Bytes()
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
	base, _ := read(write(frames))
	want := map[string]string{}
	for _, ex := range base {
		want[ex.Request.Method+" "+ex.Request.URL] = answer(ex)
	}
	late := append(append(append(append([]rawFrame(nil), frames[:8]...), frames[9:11]...), frames[8]), frames[11:]...)
	for _, tc := range []struct {
		name    string
		frames  []rawFrame
		n       int
		gapNote string // a gap note's frame, "" for none
	}{
		{"frame 9 lost", append(append([]rawFrame(nil), frames[:8]...), frames[9:]...), len(base) - 1, "frame 46"},
		{"frame 9 after 11", late, len(base), ""},
	} {
		exs, notes := read(write(tc.frames))
		if len(exs) != tc.n {
			t.Errorf("%s: %d exchanges, want %d", tc.name, len(exs), tc.n)
		}
		for _, ex := range exs {
			key := ex.Request.Method + " " + ex.Request.URL
			if got := answer(ex); got != want[key] {
				t.Errorf("%s: %s %.60s: response %.80s, want %.80s", tc.name, ex.Ref, key, got, want[key])
			}
		}
		gap := ""
		for _, n := range notes {
			if n.Kind == model.NoteGap && gap == "" {
				gap = n.Ref
			}
		}
		if gap != tc.gapNote {
			t.Errorf("%s: first gap note at %q, want %q: %v", tc.name, gap, tc.gapNote, notes)
		}
	}
}
