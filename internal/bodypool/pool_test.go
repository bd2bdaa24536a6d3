package bodypool

import (
	"bytes"
	"testing"
	"unsafe"

	"github.com/traceaudit/traceaudit/model"
)

// TestBodyPool pins the pool's bookkeeping: a buffer comes back only to a
// request it can hold, a buffer handed back twice is handed out once, the
// budget bounds what is kept, and poisoning overwrites a buffer's whole
// capacity.
func TestBodyPool(t *testing.T) {
	var p Pool
	if b := p.Get(9500); cap(b) != 9500 {
		t.Fatalf("before any Release: cap %d, want the exact 9500", cap(b))
	}
	b := make([]byte, 100, 10000) // class 8 KiB: holds requests up to 8,192 bytes
	p.Put(b)
	if got := p.Get(9000); unsafe.SliceData(got[:1]) == unsafe.SliceData(b[:1]) {
		t.Fatal("a 10,000-byte buffer handed out for 9,000 bytes from the 8 KiB class")
	} else if cap(got) != 16<<10 {
		t.Fatalf("new buffer after a Release: cap %d, want 16 KiB", cap(got))
	}
	p.Put(b) // twice
	first, second := p.Get(8000), p.Get(8000)
	if unsafe.SliceData(first[:1]) != unsafe.SliceData(b[:1]) || len(first) != 0 {
		t.Fatal("the kept buffer was not handed out empty")
	}
	if unsafe.SliceData(second[:1]) == unsafe.SliceData(b[:1]) {
		t.Fatal("a buffer handed back twice was handed out twice")
	}
	p.Put(b)
	if got := p.Get(8000); unsafe.SliceData(got[:1]) != unsafe.SliceData(b[:1]) {
		t.Fatal("a buffer handed back again after reuse was not kept")
	}

	var q Pool
	for range 2 * poolBudget / (1 << poolMaxShift) {
		q.Put(make([]byte, 0, 1<<poolMaxShift))
	}
	if q.bytes > poolBudget {
		t.Fatalf("kept %d bytes, budget %d", q.bytes, poolBudget)
	}
	q.Put(make([]byte, 0, 4<<20)) // above the classes: not kept
	q.Put(make([]byte, 0, 100))   // below: not kept
	if q.bytes > poolBudget || len(q.kept) != poolBudget/(1<<poolMaxShift) {
		t.Fatalf("kept %d bytes in %d buffers", q.bytes, len(q.kept))
	}

	r := Pool{Poison: true}
	c := []byte("secret body, still read by someone")
	c = append(c, make([]byte, 600)...)
	r.Put(c[:3])
	if !bytes.Equal(c[:cap(c)], bytes.Repeat([]byte{PoisonByte}, cap(c))) {
		t.Fatal("poisoning left bytes of the body")
	}
	var nilPool *Pool
	if got := nilPool.Get(1000); cap(got) != 1000 {
		t.Fatal("a nil pool must make buffers")
	}
	nilPool.Put(c)
}

// TestPoolClose: Close drops what was kept, later buffers handed back are
// poisoned but not kept, and Get still makes buffers.
func TestPoolClose(t *testing.T) {
	p := Pool{Poison: true}
	p.Put(make([]byte, 0, 4096))
	p.Close()
	if p.bytes != 0 || p.kept != nil || len(p.free[3]) != 0 {
		t.Fatalf("after Close: %d bytes kept", p.bytes)
	}
	b := make([]byte, 10, 4096)
	p.Put(b)
	if p.bytes != 0 || b[0] != PoisonByte {
		t.Fatalf("a buffer handed back after Close: %d bytes kept, first byte %#x", p.bytes, b[0])
	}
	if got := p.Get(3000); len(got) != 0 || cap(got) < 3000 {
		t.Fatalf("Get after Close: len %d cap %d", len(got), cap(got))
	}
	var nilPool *Pool
	nilPool.Close()
}

// TestHeaderPool pins the header lists' pool: a list comes back only to
// a request it can hold, released fields are cleared (poisoned in tests),
// the budget bounds what is kept.
func TestHeaderPool(t *testing.T) {
	var p HeaderPool
	if h := p.Get(9); cap(h) != 9 {
		t.Fatalf("before any release: cap %d, want 9", cap(h))
	}
	h := make(model.Headers, 3, 12) // class 8
	h[0] = model.Header{Name: "Cookie", Value: "a=1"}
	p.Put(h, nil)
	if h[:1][0] != (model.Header{}) {
		t.Fatal("a released list keeps its fields")
	}
	if got := p.Get(9); unsafe.SliceData(got[:1]) == unsafe.SliceData(h[:1]) || cap(got) != 16 {
		t.Fatalf("a 12-field list handed out for 9 fields, or a new list of cap %d", cap(got))
	}
	if got := p.Get(8); unsafe.SliceData(got[:1]) != unsafe.SliceData(h[:1]) || len(got) != 0 {
		t.Fatal("the kept list was not handed out empty")
	}
	if got := p.Get(8); unsafe.SliceData(got[:1]) == unsafe.SliceData(h[:1]) {
		t.Fatal("a list handed back once was handed out twice")
	}
	var q HeaderPool
	for range 2 * headerPoolMax / headerMaxFields {
		q.Put(make(model.Headers, 0, headerMaxFields))
	}
	q.Put(make(model.Headers, 0, 4*headerMaxFields)) // above the classes: not kept
	if q.fields > headerPoolMax || len(q.free[headerClasses-1]) != headerPoolMax/headerMaxFields {
		t.Fatalf("kept %d fields in %d lists, budget %d", q.fields, len(q.free[headerClasses-1]), headerPoolMax)
	}
	r := HeaderPool{Poison: true}
	g := model.Headers{{Name: "Set-Cookie", Value: "s=1"}}
	r.Put(g)
	if g[0].Name != PoisonText || g[0].Value != PoisonText {
		t.Fatalf("poisoning left %+v", g[0])
	}
	var nilPool *HeaderPool
	if got := nilPool.Get(5); cap(got) != 5 {
		t.Fatal("a nil pool must make lists")
	}
	nilPool.Put(g)
}
