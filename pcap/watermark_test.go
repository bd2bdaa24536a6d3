package pcap

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/traceaudit/traceaudit/pcap/internal/capgen"
)

// fullWatermark is computeWatermark as it was: every live stream asked.
func fullWatermark(r *Reader) int {
	low := r.frame + 1
	for s := range r.live {
		if s.sess == nil {
			continue
		}
		if f := s.sess.lowest(); f > 0 && f < low {
			low = f
		}
	}
	return low
}

// The incremental watermark (only streams touched since the last call are
// asked again) must equal asking every live stream, after every packet, on
// the committed captures and on many interleaved connections: it decides
// when held exchanges go out, so the order of a scan's output.
func TestWatermarkIncremental(t *testing.T) {
	inputs := map[string][]byte{}
	files, _ := filepath.Glob(filepath.Join("testdata", "*.pcap*"))
	caps, _ := filepath.Glob(filepath.Join("testdata", "*.cap"))
	for _, f := range append(files, caps...) {
		if filepath.Ext(f) == ".tsv" || filepath.Ext(f) == ".log" || filepath.Ext(f) == ".cut" || filepath.Ext(f) == ".expected-out" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inputs[f] = b
	}
	var buf bytes.Buffer
	if _, err := capgen.Write(&buf, capgen.Config{Conns: 60, Concurrent: 25, PerConn: 3, BodyBytes: 3000, SegmentSize: 700}); err != nil {
		t.Fatal(err)
	}
	inputs["capgen"] = buf.Bytes()
	if len(inputs) < 10 {
		t.Fatalf("only %d captures found", len(inputs))
	}
	for name, data := range inputs {
		r, err := NewReader(bytes.NewReader(data), Options{})
		if err != nil {
			continue // not a capture this reader opens
		}
		checks := 0
		for !r.done {
			r.step()
			if r.done {
				break
			}
			if got, want := r.computeWatermark(), fullWatermark(r); got != want {
				t.Fatalf("%s, frame %d: watermark %d, asking every stream %d", name, r.frame, got, want)
			}
			checks++
		}
		for {
			if _, err := r.Next(); err == io.EOF {
				break
			} else if err != nil {
				break
			}
		}
		if checks == 0 {
			t.Errorf("%s: no packet read", name)
		}
	}
}
