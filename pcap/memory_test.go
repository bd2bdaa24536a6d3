package pcap

import (
	"bytes"
	"io"
	"runtime"
	"testing"

	"github.com/traceaudit/traceaudit/pcap/internal/capgen"
)

// TestMemoryPerOpenConnection bounds what the reader holds per open
// connection: a generated capture of 2,000 connections open at once,
// interleaved packet by packet (as bench/run.sh's cap-wide), each sending
// two requests answered with 2,000-byte pages in two segments, so that
// most of the time every connection is in the middle of a response. The
// live heap and the goroutine stacks, after collections, every 200
// exchanges, at most: 10 KiB per open connection over what the process
// held before, the body in progress (2 KB), the request and response
// being read, gopacket's state, and the reader's fixed buffers (the page
// cache, the read-ahead, the body pool: ~1.5 KiB per connection here)
// included. Measured 8.5 KiB; 16.0 KiB when a parser waited inside each
// body (a goroutine stack and a 4 KiB buffered reader per connection).
func TestMemoryPerOpenConnection(t *testing.T) {
	if testing.Short() {
		t.Skip("reads a 10 MB generated capture")
	}
	const open = 2000
	cfg := capgen.Config{Conns: open, Concurrent: open, PerConn: 2, BodyBytes: 2000, SegmentSize: 1448}
	var buf bytes.Buffer
	st, err := capgen.Write(&buf, cfg)
	if err != nil {
		t.Fatal(err)
	}
	held := func() uint64 {
		// Twice: buffers in sync.Pools survive one collection.
		runtime.GC()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc + ms.StackInuse
	}
	before := held()
	r, err := NewReader(bytes.NewReader(buf.Bytes()), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var peak uint64
	n, peakAt, mostOpen := 0, 0, 0
	for {
		ex, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		r.Release(ex)
		n++
		if n%200 == 0 {
			mostOpen = max(mostOpen, len(r.live))
			if h := held(); h > peak {
				peak, peakAt = h, n
			}
		}
	}
	if n != st.Exchanges {
		t.Fatalf("%d exchanges, want %d", n, st.Exchanges)
	}
	if mostOpen < open*9/10 {
		t.Fatalf("at most %d connections open at once, want about %d: the capture does not measure what it should", mostOpen, open)
	}
	per := float64(peak-min(before, peak)) / open
	t.Logf("peak %.1f MiB after %d exchanges (%.1f MiB before reading): %.0f bytes per open connection", float64(peak)/(1<<20), peakAt, float64(before)/(1<<20), per)
	if per > 10<<10 {
		t.Errorf("%.0f bytes per open connection, want at most %d", per, 10<<10)
	}
	runtime.KeepAlive(r)
}
