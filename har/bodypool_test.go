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

// TestHeaderPool pins the header lists' pool: a list comes back only to
// a request it can hold, released fields are cleared (poisoned in tests),
// the budget bounds what is kept.
func TestHeaderPool(t *testing.T) {
	var p headerPool
	if h := p.get(9); cap(h) != 9 {
		t.Fatalf("before any release: cap %d, want 9", cap(h))
	}
	h := make(model.Headers, 3, 12) // class 8
	h[0] = model.Header{Name: "Cookie", Value: "a=1"}
	p.put(h, nil)
	if h[:1][0] != (model.Header{}) {
		t.Fatal("a released list keeps its fields")
	}
	if got := p.get(9); unsafe.SliceData(got[:1]) == unsafe.SliceData(h[:1]) || cap(got) != 16 {
		t.Fatalf("a 12-field list handed out for 9 fields, or a new list of cap %d", cap(got))
	}
	if got := p.get(8); unsafe.SliceData(got[:1]) != unsafe.SliceData(h[:1]) || len(got) != 0 {
		t.Fatal("the kept list was not handed out empty")
	}
	if got := p.get(8); unsafe.SliceData(got[:1]) == unsafe.SliceData(h[:1]) {
		t.Fatal("a list handed back once was handed out twice")
	}
	var q headerPool
	for range 2 * headerPoolMax / maxPresize {
		q.put(make(model.Headers, 0, maxPresize))
	}
	q.put(make(model.Headers, 0, 4*maxPresize)) // above the classes: not kept
	if q.fields > headerPoolMax || len(q.free[headerClasses-1]) != headerPoolMax/maxPresize {
		t.Fatalf("kept %d fields in %d lists, budget %d", q.fields, len(q.free[headerClasses-1]), headerPoolMax)
	}
	r := headerPool{poison: true}
	g := model.Headers{{Name: "Set-Cookie", Value: "s=1"}}
	r.put(g)
	if g[0].Name != poisonText || g[0].Value != poisonText {
		t.Fatalf("poisoning left %+v", g[0])
	}
	var nilPool *headerPool
	if got := nilPool.get(5); cap(got) != 5 {
		t.Fatal("a nil pool must make lists")
	}
	nilPool.put(g)
}
