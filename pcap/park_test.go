package pcap

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/pcap/internal/capgen"
)

// dropPackets removes every nth record of a little-endian pcap file: lost
// bytes in the middle of messages and between them.
func dropPackets(data []byte, n int) []byte {
	out := bytes.Clone(data[:24])
	for i, off := 0, 24; off+16 <= len(data); i++ {
		end := off + 16 + int(binary.LittleEndian.Uint32(data[off+8:]))
		if i%n != n-1 {
			out = append(out, data[off:end]...)
		}
		off = end
	}
	return out
}

// TestParkedSame: idle HTTP/1 parsers that park and start again read every
// capture exactly as parsers that stay: the committed captures, generated
// ones with many connections open at once, and the same with packets lost.
func TestParkedSame(t *testing.T) {
	inputs := map[string][]byte{}
	for _, cfg := range []capgen.Config{
		{Conns: 40, Concurrent: 9, PerConn: 3, BodyBytes: 3000, SegmentSize: 1000},
		{Conns: 30, Concurrent: 7, PerConn: 5, SegmentSize: 1448, Customer: true},
	} {
		data := generated(t, shortGen(cfg))
		name := "generated"
		if cfg.Customer {
			name = "customer"
		}
		inputs[name] = data
		inputs[name+" lossy"] = dropPackets(data, 23)
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "*.pcap*"))
	caps, _ := filepath.Glob(filepath.Join("testdata", "*.cap"))
	for _, f := range shortSample(append(files, caps...)) {
		if strings.HasSuffix(f, ".tsv") || strings.Contains(f, ".expected") {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inputs[filepath.Base(f)] = data
	}
	read := func(data []byte, park int) ([]*model.Exchange, []model.Note, int) {
		r, err := NewReader(bytes.NewReader(data), Options{})
		if err != nil {
			t.Fatal(err)
		}
		r.parkAbove = park
		exs, err := model.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		return exs, r.Notes(), len(exs)
	}
	total := 0
	for name, data := range inputs {
		want, wantNotes, _ := read(data, 1<<30)
		got, gotNotes, n := read(data, 0)
		total += n
		if reflect.DeepEqual(want, got) {
			// cmp.Diff is slow on big bodies; it only tells what differs.
		} else if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: exchanges differ when parsers park (-stay +park):\n%s", name, diff)
		}
		if diff := cmp.Diff(wantNotes, gotNotes); diff != "" {
			t.Errorf("%s: notes differ when parsers park (-stay +park):\n%s", name, diff)
		}
	}
	least := 300
	if testing.Short() {
		least = 150 // a third of the generated connections (shortGen)
	}
	if total < least {
		t.Errorf("only %d exchanges read", total)
	}
}
