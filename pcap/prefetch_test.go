package pcap

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/gopacket/layers"

	"github.com/traceaudit/traceaudit/pcap/internal/capgen"
)

// record is what a packet source gave: a packet with a copy of its bytes
// and the offset after it, or the error that ended reading.
type record struct {
	data     string
	linkType uint32
	ts       time.Time
	origLen  int
	frame    int
	off      int64
	err      string
	seg      string // the TCP segment decoded, if any
}

// drain reads src to its end; with dec, each packet is decoded in line
// unless it comes decoded, and the decoder's notes end the list.
func drain(src packetSource, dec *decoder) []record {
	var out []record
	for {
		p, err := src.next()
		if err != nil {
			out = append(out, record{err: err.Error(), off: src.offset()})
			if dec != nil {
				for _, n := range dec.notes() {
					out = append(out, record{err: string(n.Kind) + " " + n.Message})
				}
			}
			return out
		}
		rec := record{data: string(p.data), linkType: p.linkType, ts: p.ts, origLen: p.origLen, frame: p.frame, off: src.offset()}
		if dec != nil {
			seg, ok := p.seg, p.segOK
			switch {
			case !p.decoded:
				seg, ok = dec.decode(p)
			case ok && seg.tcp == nil:
				seg.tcp = &layers.TCP{}
				ok = tcpAt(p, seg.tcp)
			}
			if ok {
				t := seg.tcp
				rec.seg = fmt.Sprintf("%v %v %v %d %d %v%v%v%v%v%v%v%v%v %d %d %d %v %q %q %q", seg.netFlow, t.TransportFlow(), t.DataOffset, t.Seq, t.Ack,
					t.SYN, t.ACK, t.FIN, t.RST, t.PSH, t.URG, t.ECE, t.CWR, t.NS, t.Window, t.Checksum, t.Urgent, t.Options, t.Padding, t.Contents, t.Payload)
			}
		}
		out = append(out, rec)
	}
}

// TestPrefetchSame reads every capture under testdata, whole, cut and
// gzip-compressed, record by record in line and through prefetchSource
// with arenas from the default down to smaller than most packets: the
// same packets, offsets and ending error.
func TestPrefetchSame(t *testing.T) {
	var files []string
	for _, pat := range []string{"*.pcap", "*.pcapng", "*.cap", "zeek/*.pcap", "zeek/*.pcapng"} {
		m, _ := filepath.Glob(filepath.Join("testdata", pat))
		files = append(files, m...)
	}
	inputs := map[string][]byte{"capgen": generated(t, shortGen(capgen.Config{Conns: 30, Concurrent: 5, PerConn: 3, BodyBytes: 20000, SegmentSize: 1400}))}
	for _, f := range shortSample(files) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inputs[f] = data
	}
	arenas := [][2]int{{batchArena, batchSlack}, {batchArena, batchSlack}, {8192, 2048}, {8192, 2048}, {700, 100}, {64, 16}}
	n := 0
	for name, data := range inputs {
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		zw.Write(data)
		zw.Close()
		variants := map[string][]byte{"whole": data, "cut": data[:len(data)*2/3], "cut-7": data[:len(data)-7], "gzip": gz.Bytes()}
		for vname, v := range variants {
			plain, err := openCapture(bytes.NewReader(v))
			if err != nil {
				t.Fatalf("%s %s: %v", name, vname, err)
			}
			if _, ok := plain.(arenaSource); !ok {
				continue // ETL
			}
			want := drain(plain, nil)
			plain, _ = openCapture(bytes.NewReader(v))
			wantDec := drain(plain, newDecoder())
			for i, a := range arenas {
				src, err := openCapture(bytes.NewReader(v))
				if err != nil {
					t.Fatal(err)
				}
				// Decoding ahead or not, in turns.
				var dec *decoder
				want := want
				if i%2 == 1 {
					dec, want = newDecoder(), wantDec
				}
				pf := newPrefetch(src.(arenaSource), dec, a[0], a[1])
				got := drain(pf, dec)
				pf.stop()
				if len(got) != len(want) {
					t.Fatalf("%s %s arena %d: %d records, want %d", name, vname, a[0], len(got), len(want))
				}
				for i := range want {
					if got[i] != want[i] {
						t.Fatalf("%s %s arena %d: record %d differs:\n got %+v\nwant %+v", name, vname, a[0], i, got[i], want[i])
					}
				}
				n++
			}
		}
	}
	if n < 100 {
		t.Fatalf("only %d comparisons", n)
	}
}

// countingSource counts the bytes read from it.
type countingSource struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingSource) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// TestPrefetchBoundedAndStopped: the goroutine reads a bounded amount
// ahead of the packets taken, and after Stop it reads nothing more and
// Next neither blocks nor panics.
func TestPrefetchBoundedAndStopped(t *testing.T) {
	var buf bytes.Buffer
	if _, err := capgen.Write(&buf, capgen.Config{Conns: 400, Concurrent: 20, PerConn: 3, BodyBytes: 6000, SegmentSize: 1400}); err != nil {
		t.Fatal(err)
	}
	if buf.Len() < 6<<20 {
		t.Fatalf("capture of %d bytes: too small for the test", buf.Len())
	}
	cs := &countingSource{r: bytes.NewReader(buf.Bytes())}
	r, err := NewReader(cs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	// Let the goroutine fill every batch it may.
	deadline := time.Now().Add(10 * time.Second)
	for last := int64(-1); time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		n := cs.n.Load()
		if n == last {
			break
		}
		last = n
	}
	// What the first exchange needed, the batches and bufio's buffer.
	if n, bound := cs.n.Load(), int64(maxBatches*batchArena+2<<20); n > bound {
		t.Errorf("read %d bytes ahead, bound %d", n, bound)
	}
	r.Stop()
	n := cs.n.Load()
	for range 3 {
		if _, err := r.Next(); err != nil && err != io.EOF {
			t.Fatal(err)
		}
	}
	if got := cs.n.Load(); got != n {
		t.Errorf("read %d bytes after Stop", got-n)
	}
	r.Stop() // twice is fine
}

// panicSource panics on its third record.
type panicSource struct{ n int }

func (s *panicSource) next() (*packet, error) {
	s.n++
	if s.n == 3 {
		panic("boom")
	}
	return &packet{data: []byte{1, 2, 3}, frame: s.n}, nil
}
func (s *panicSource) offset() int64 { return int64(s.n) }
func (s *panicSource) useBuf([]byte) {}

// TestPrefetchPanic: a panic while reading records reaches the caller of
// next, after the records before it.
func TestPrefetchPanic(t *testing.T) {
	pf := newPrefetch(&panicSource{}, nil, 64, 16)
	defer pf.stop()
	for i := 1; i <= 2; i++ {
		p, err := pf.next()
		if err != nil || p.frame != i {
			t.Fatalf("record %d: %+v, %v", i, p, err)
		}
	}
	defer func() {
		p := recover()
		sp, ok := p.(*sourcePanic)
		if !ok || sp.value != "boom" || sp.String() != "boom (reading packet records)" {
			t.Fatalf("recovered %v", p)
		}
	}()
	pf.next()
	t.Fatal("no panic")
}
