package pcap

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/pcap/internal/capgen"
)

// waitGoroutines waits until at most n goroutines run: a coroutine that
// ended leaves at once, but give the scheduler a moment.
func waitGoroutines(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > n {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines, want at most %d", runtime.NumGoroutine(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestCoPool: a coroutine whose parser returned runs the next parser
// given; a halted parser sees its yield return false, and any later yield
// too without suspending, as after iter.Pull's stop; a parser's panic
// reaches the caller and its coroutine is not kept; at most maxIdleCo
// wait, and close ends them.
func TestCoPool(t *testing.T) {
	before := runtime.NumGoroutine()
	var log []string
	parser := func(name string, n int) func(func(struct{}) bool) {
		return func(yield func(struct{}) bool) {
			for i := range n {
				log = append(log, fmt.Sprintf("%s%d", name, i))
				if !yield(struct{}{}) {
					log = append(log, name+" stopped")
					if yield(struct{}{}) {
						log = append(log, name+" resumed after stop")
					}
					return
				}
			}
			log = append(log, name+" done")
		}
	}
	var p coPool
	a := p.start(parser("a", 2))
	// resume has effects: each call is a step of the parser.
	for i := 0; i < 2; i++ {
		if !a.resume() {
			t.Fatalf("parser a returned at its step %d, before its end", i+1)
		}
	}
	if a.resume() {
		t.Fatal("parser a did not return")
	}
	p.put(a)
	b := p.start(parser("b", 5))
	if b != a {
		t.Fatal("the waiting coroutine was not used again")
	}
	if !b.resume() {
		t.Fatal("parser b returned at once")
	}
	b.halt()
	p.put(b)
	e := p.start(parser("e", 2))
	if e != b {
		t.Fatal("the coroutine of a halted parser was not used again")
	}
	for i := 0; i < 2; i++ {
		if !e.resume() {
			t.Fatalf("parser e, after a halted one, returned at its step %d", i+1)
		}
	}
	if e.resume() {
		t.Fatal("parser e, after a halted one, did not return after two steps")
	}
	p.put(e)
	c := p.start(func(func(struct{}) bool) { panic("parser c") })
	func() {
		defer func() {
			if v := recover(); v != "parser c" {
				t.Errorf("recovered %v, want the parser's panic", v)
			}
		}()
		c.resume()
		t.Error("the parser's panic did not reach resume's caller")
	}()
	p.put(c)
	if len(p.idle) != 0 {
		t.Fatalf("%d coroutines kept after a panic, want 0", len(p.idle))
	}
	if want := []string{"a0", "a1", "a done", "b0", "b stopped", "e0", "e1", "e done"}; !slices.Equal(log, want) {
		t.Fatalf("parsers ran %q, want %q", log, want)
	}
	waitGoroutines(t, before)

	// Many at once: all but maxIdleCo end when put back.
	var cos []*parserCo
	for i := range maxIdleCo + 8 {
		co := p.start(parser(fmt.Sprint("m", i), 1))
		co.resume()
		cos = append(cos, co)
	}
	for _, co := range cos {
		if co.resume() {
			t.Fatal("parser did not return")
		}
		p.put(co)
	}
	if len(p.idle) != maxIdleCo {
		t.Fatalf("%d coroutines wait, want %d", len(p.idle), maxIdleCo)
	}
	waitGoroutines(t, before+maxIdleCo)
	p.close()
	waitGoroutines(t, before)

	// Without a pool each parser has a coroutine of its own, ended when
	// put back.
	var none *coPool
	d := none.start(parser("d", 1))
	d.resume()
	d.halt()
	none.put(d)
	waitGoroutines(t, before)
}

// TestCoroutinesReusedSame: parsers run on coroutines used again read
// every capture as parsers on coroutines of their own, whether idle
// parsers park or stay, with packets lost or not; and no goroutine stays
// once a capture is read to its end.
func TestCoroutinesReusedSame(t *testing.T) {
	before := runtime.NumGoroutine()
	inputs := map[string][]byte{}
	configs := []capgen.Config{
		{Conns: 40, Concurrent: 9, PerConn: 3, BodyBytes: 3000, SegmentSize: 1000},
		{Conns: 60, Concurrent: 40, PerConn: 2, SegmentSize: 1448, Customer: true},
		{Conns: 30, Concurrent: 2, PerConn: 5, SegmentSize: 1448, Customer: true},
	}
	minTotal := 1000
	if testing.Short() {
		// CI's race step: a coroutine switch costs ten times more under
		// the race detector; a third of the connections still interleave
		// as many at once.
		for i := range configs {
			configs[i] = shortGen(configs[i])
		}
		minTotal = 400
	}
	for _, cfg := range configs {
		data := generated(t, cfg)
		name := fmt.Sprintf("%d conns, %d at once", cfg.Conns, cfg.Concurrent)
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
	read := func(data []byte, park int, fresh bool) ([]*model.Exchange, []model.Note) {
		r, err := NewReader(bytes.NewReader(data), Options{})
		if err != nil {
			t.Fatal(err)
		}
		r.parkAbove, r.freshCoroutines = park, fresh
		exs, err := model.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		return exs, r.Notes()
	}
	total := 0
	for name, data := range inputs {
		for _, park := range []int{0, 1 << 30} {
			want, wantNotes := read(data, park, true)
			got, gotNotes := read(data, park, false)
			total += len(got)
			if reflect.DeepEqual(want, got) {
				// cmp.Diff is slow on big bodies; it only tells what differs.
			} else if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s, parking above %d: exchanges differ (-fresh +reused):\n%s", name, park, diff)
			}
			if diff := cmp.Diff(wantNotes, gotNotes); diff != "" {
				t.Errorf("%s, parking above %d: notes differ (-fresh +reused):\n%s", name, park, diff)
			}
		}
	}
	if total < minTotal {
		t.Errorf("only %d exchanges read", total)
	}
	waitGoroutines(t, before)
}
