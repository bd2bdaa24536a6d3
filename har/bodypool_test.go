package har

import (
	"bytes"
	"reflect"
	"testing"
	"unsafe"

	"github.com/traceaudit/traceaudit/internal/hargen"
	"github.com/traceaudit/traceaudit/model"
)

// TestExchangeOwnsNoDecoderState checks what an exchange handed out keeps
// alive: it shares an allocation with its decoder (decodeAll), which must
// no longer refer to its frame, notes, decoding state or the Reader once
// the exchange is handed out, or a caller keeping exchanges would keep
// frames and the Reader's buffers. Exchanges of different entries must not
// share memory either: every one is compared after all are read.
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
		d := (*decoder)(unsafe.Add(unsafe.Pointer(ex), -int(unsafe.Offsetof(decoder{}.exchangeMem))))
		if d.f != nil || d.notes != nil || d.pool != nil || d.sk != nil || d.intern != nil || d.arena != nil {
			t.Fatalf("exchange %d: its decoder still refers to decoding state", i)
		}
		if ex.Response != nil && ex.Response != &d.responseMem {
			t.Fatalf("exchange %d: response not in its allocation", i)
		}
	}
	if want := read(true); !reflect.DeepEqual(exs, want) {
		t.Fatal("exchanges read in batches differ from those read one by one")
	}
}
