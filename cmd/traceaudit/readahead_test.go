package main

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/model"
)

// fakeReader yields n exchanges, then err (or panics with it when panics).
type fakeReader struct {
	n, i   int
	err    error
	panics bool
	body   int
}

func (f *fakeReader) Next() (*model.Exchange, error) {
	if f.i == f.n {
		if f.panics {
			panic(f.err)
		}
		return nil, f.err
	}
	f.i++
	return &model.Exchange{Index: f.i - 1, Request: model.Request{Body: model.Body{Data: make([]byte, f.body)}}}, nil
}

func (f *fakeReader) Notes() []model.Note {
	return []model.Note{{Kind: "k", Message: "read " + strings.Repeat("x", f.i)}}
}

// TestReadAheadSameSequence: the exchanges come in order, batches cut by
// count and by body bytes alike, then the reader's own error.
func TestReadAheadSameSequence(t *testing.T) {
	bad := errors.New("damaged")
	for _, c := range []struct {
		n, body int
		err     error
	}{{0, 0, io.EOF}, {1, 0, io.EOF}, {aheadCount, 0, io.EOF}, {3*aheadCount + 5, 0, bad}, {40, 300 << 10, bad}} {
		src := &fakeReader{n: c.n, err: c.err, body: c.body}
		ra := newReadAhead(src)
		for i := 0; ; i++ {
			ex, err := ra.Next()
			if err != nil {
				if err != c.err || i != c.n {
					t.Fatalf("n=%d: error %v after %d exchanges, want %v after %d", c.n, err, i, c.err, c.n)
				}
				break
			}
			if ex.Index != i {
				t.Fatalf("n=%d: exchange %d came as number %d", c.n, ex.Index, i)
			}
		}
		if _, err := ra.Next(); err != c.err {
			t.Fatalf("n=%d: after the end, Next gave %v", c.n, err)
		}
		ra.close()
		if got := ra.Notes()[0].Message; got != "read "+strings.Repeat("x", c.n) {
			t.Fatalf("n=%d: notes %q", c.n, got)
		}
	}
}

// TestReadAheadPanicAndStop: a reader's panic surfaces in the caller's
// goroutine (where the per-file recovery is), and a caller that stops early
// gets the goroutine stopped by close.
func TestReadAheadPanicAndStop(t *testing.T) {
	ra := newReadAhead(&fakeReader{n: 10, err: errors.New("boom"), panics: true})
	func() {
		defer func() {
			p := recover()
			if p == nil || !strings.Contains(p.(*readerPanic).String(), "boom") {
				t.Errorf("recovered %v, want the reader's panic", p)
			}
		}()
		for {
			if _, err := ra.Next(); err != nil {
				t.Errorf("Next returned %v, want a panic", err)
				return
			}
		}
	}()
	ra.close()

	ra = newReadAhead(&fakeReader{n: 1 << 20, err: io.EOF})
	if _, err := ra.Next(); err != nil {
		t.Fatal(err)
	}
	ra.close() // must return although the reader has a million exchanges left
	ra.close()
}
