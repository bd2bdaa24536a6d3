package har

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/traceaudit/traceaudit/internal/hargen"
	"github.com/traceaudit/traceaudit/model"
)

// countingReader counts the bytes read through it, from any goroutine.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// TestFramingAheadBounded: the framing goroutine runs ahead of a caller
// that stops taking exchanges by a few batches, not to the end of the
// file, and Stop waits for it: afterwards the source is the caller's
// again (the CLI seeks the file back to read it again), and nothing reads
// it any more.
func TestFramingAheadBounded(t *testing.T) {
	var buf bytes.Buffer
	if _, err := hargen.Write(&buf, hargen.ManyEntries(5000)); err != nil {
		t.Fatal(err)
	}
	src := &countingReader{r: bytes.NewReader(buf.Bytes())}
	r, err := NewReader(src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for range 10 {
		if _, err := r.Next(); err != nil {
			t.Fatal(err)
		}
	}
	// Give the framing goroutine time to run as far ahead as it may.
	time.Sleep(50 * time.Millisecond)
	r.Stop()
	read := src.n.Load()
	if read > int64(buf.Len())/4 {
		t.Fatalf("%d of %d bytes read for 10 exchanges taken: framing ran ahead unbounded", read, buf.Len())
	}
	r.pipe.mu.Lock()
	running := r.pipe.running
	r.pipe.mu.Unlock()
	if running {
		t.Fatal("framing goroutine still running after Stop")
	}
	// Next after Stop hands out what was decoded, then fails; it never
	// reads the source.
	n := 10
	for ; n < 5000; n++ {
		if _, err := r.Next(); err != nil {
			if !errors.Is(err, errStopped) {
				t.Fatalf("Next after Stop: %v", err)
			}
			break
		}
	}
	if n == 5000 {
		t.Fatal("Next after Stop read to the end")
	}
	time.Sleep(20 * time.Millisecond)
	if got := src.n.Load(); got != read {
		t.Fatalf("source read after Stop: %d then %d bytes", read, got)
	}
}

// TestFramingAheadSameExchanges reads a file with a caller that takes
// its time over each exchange, so that the framing goroutine fills its
// queue and stops, and is started again, many times: the exchanges and
// notes are those of reading one entry at a time.
func TestFramingAheadSameExchanges(t *testing.T) {
	var buf bytes.Buffer
	if _, err := hargen.Write(&buf, hargen.ManyEntries(600)); err != nil {
		t.Fatal(err)
	}
	// Cut inside an entry near the end: a framing note comes last.
	data := buf.Bytes()[:buf.Len()-700]
	read := func(sequential, slow bool) ([]*model.Exchange, []model.Note) {
		r, err := NewReader(bytes.NewReader(data), Options{})
		if err != nil {
			t.Fatal(err)
		}
		r.sequential = sequential
		var exs []*model.Exchange
		for {
			ex, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if slow && len(exs)%40 == 0 {
				time.Sleep(time.Millisecond)
			}
			exs = append(exs, ex)
		}
		return exs, r.Notes()
	}
	want, wantNotes := read(true, false)
	got, gotNotes := read(false, true)
	if len(got) != len(want) || len(want) < 500 {
		t.Fatalf("%d exchanges ahead, %d one at a time", len(got), len(want))
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Fatalf("exchange %d differs: %+v, one at a time %+v", i, got[i], want[i])
		}
	}
	if len(wantNotes) == 0 || !reflect.DeepEqual(gotNotes, wantNotes) {
		t.Fatalf("notes %v, one at a time %v", gotNotes, wantNotes)
	}
}
