package har

import (
	"bytes"
	"io"
	"reflect"
	"testing"
	"unsafe"

	"github.com/traceaudit/traceaudit/internal/hargen"
	"github.com/traceaudit/traceaudit/model"
)

// TestExchangeOwnsNoDecoderState checks what an exchange handed out keeps
// alive: it shares its allocation (exchangeMem) with its response only,
// not with its decoder, whose frame, notes and decoding state must not stay
// reachable from exchanges a caller keeps. Exchanges of different entries
// must not share memory either: every one is compared after all are read.
func TestExchangeOwnsNoDecoderState(t *testing.T) {
	var buf bytes.Buffer
	if _, err := hargen.Write(&buf, hargen.ManyEntries(300)); err != nil {
		t.Fatal(err)
	}
	read := func(sequential bool) []*model.Exchange {
		r, err := NewReader(bytes.NewReader(buf.Bytes()), Options{})
		if err != nil {
			t.Fatal(err)
		}
		r.sequential = sequential
		exs, err := model.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		return exs
	}
	exs := read(false)
	for i, ex := range exs {
		m := (*exchangeMem)(unsafe.Pointer(ex))
		if ex.Response != nil && ex.Response != &m.resp {
			t.Fatalf("exchange %d: response not in its allocation", i)
		}
	}
	if want := read(true); !reflect.DeepEqual(exs, want) {
		t.Fatal("exchanges read in batches differ from those read one by one")
	}
}

// TestReleasedExchangesReused reads a HAR handing every exchange back as
// soon as it is copied, as the CLI does, and compares the copies with
// exchanges read without handing back: the same, while the reader did
// decode later entries into the memory handed back. Exchanges handed back
// out of order, twice, or not made by the reader are not reused.
func TestReleasedExchangesReused(t *testing.T) {
	var buf bytes.Buffer
	if _, err := hargen.Write(&buf, hargen.ManyEntries(600)); err != nil {
		t.Fatal(err)
	}
	want := func() []*model.Exchange {
		r, err := NewReader(bytes.NewReader(buf.Bytes()), Options{})
		if err != nil {
			t.Fatal(err)
		}
		exs, err := model.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		return exs
	}()
	for _, sequential := range []bool{false, true} {
		r, err := NewReader(bytes.NewReader(buf.Bytes()), Options{ReuseExchanges: true, PoisonReleased: true})
		if err != nil {
			t.Fatal(err)
		}
		r.sequential = sequential
		seen := map[*model.Exchange]bool{}
		var got []*model.Exchange
		var prev *model.Exchange
		for {
			ex, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			seen[ex] = true
			c := *ex
			if ex.Response != nil {
				resp := *ex.Response
				c.Response = &resp
			}
			got = append(got, &c)
			// Foreign, repeated and out-of-order hand-backs are ignored.
			r.ReleaseExchange(&model.Exchange{})
			r.ReleaseExchange(prev)
			r.ReleaseExchange(ex)
			prev = ex
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("sequential %v: exchanges read handing them back differ", sequential)
		}
		if len(seen) > len(want)/2 {
			t.Fatalf("sequential %v: %d distinct exchanges for %d entries: memory handed back not reused", sequential, len(seen), len(want))
		}
	}
}
