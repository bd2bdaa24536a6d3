package pcap

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/traceaudit/traceaudit/model"
)

// TestReleasedBodiesReused reads every capture in testdata twice: once
// handing nothing back, once handing each exchange's bodies and header
// lists back (poisoned) right after copying them. The bodies and headers
// must be the same, and later ones must be read into buffers and lists
// handed back: a reused buffer or list not emptied, or one still shared
// with the reader once handed back, changes a body or a header.
func TestReleasedBodiesReused(t *testing.T) {
	var names []string
	for _, pat := range []string{"*.pcap", "*.pcapng", "*.cap", "*.etl"} {
		m, err := filepath.Glob(filepath.Join("testdata", pat))
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, m...)
	}
	if len(names) < 10 {
		t.Fatalf("only %d captures in testdata", len(names))
	}
	type body struct {
		data      []byte
		size      int64
		truncated bool
		headers   model.Headers
	}
	bodies := func(ex *model.Exchange) []body {
		b := []body{{bytes.Clone(ex.Request.Body.Data), ex.Request.Body.Size, ex.Request.Body.Truncated, slices.Clone(ex.Request.Headers)}}
		if ex.Response != nil {
			b = append(b, body{bytes.Clone(ex.Response.Body.Data), ex.Response.Body.Size, ex.Response.Body.Truncated, slices.Clone(ex.Response.Headers)})
		}
		return b
	}
	reused, reusedLists, compared := 0, 0, 0
	for _, name := range names {
		read := func(release bool) [][]body {
			f, err := os.Open(name)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			r, err := NewReader(f, Options{PoisonReleased: release})
			if err != nil {
				t.Fatal(err)
			}
			released := map[*byte]bool{}
			releasedLists := map[*model.Header]bool{}
			var out [][]body
			for {
				ex, err := r.Next()
				if err != nil {
					break // the same error both times; TestMatchesTshark checks them
				}
				out = append(out, bodies(ex))
				if !release {
					continue
				}
				for _, b := range []*model.Body{&ex.Request.Body, respBody(ex)} {
					if b != nil && cap(b.Data) > 0 {
						p := unsafe.SliceData(b.Data[:1])
						if released[p] {
							reused++
						}
						released[p] = true
					}
				}
				lists := []model.Headers{ex.Request.Headers}
				if ex.Response != nil {
					lists = append(lists, ex.Response.Headers)
				}
				for _, h := range lists {
					if cap(h) > 0 {
						p := unsafe.SliceData(h[:1])
						if releasedLists[p] {
							reusedLists++
						}
						releasedLists[p] = true
					}
				}
				r.Release(ex)
				r.ReleaseHeaders(lists...)
				if ex.Request.Body.Data != nil || (ex.Response != nil && ex.Response.Body.Data != nil) {
					t.Fatalf("%s: Release left a body's Data", name)
				}
			}
			return out
		}
		want, got := read(false), read(true)
		if len(got) != len(want) {
			t.Fatalf("%s: %d exchanges handing bodies back, %d not", name, len(got), len(want))
		}
		for i := range want {
			for j := range want[i] {
				w, g := want[i][j], got[i][j]
				if !bytes.Equal(w.data, g.data) || w.size != g.size || w.truncated != g.truncated {
					t.Errorf("%s: exchange %d body %d differs when bodies are handed back: %.80q (%d, %v), want %.80q (%d, %v)",
						name, i, j, g.data, g.size, g.truncated, w.data, w.size, w.truncated)
				}
				if !slices.Equal(w.headers, g.headers) {
					t.Errorf("%s: exchange %d message %d: headers differ when lists are handed back: %q, want %q", name, i, j, g.headers, w.headers)
				}
				compared++
			}
		}
	}
	if reused == 0 || reusedLists == 0 {
		t.Fatalf("%d bodies and %d header sections reused what was handed back (%d messages compared)", reused, reusedLists, compared)
	}
	t.Logf("%d captures, %d messages compared, %d bodies read into buffers handed back, %d header sections into lists handed back", len(names), compared, reused, reusedLists)
}

func respBody(ex *model.Exchange) *model.Body {
	if ex.Response == nil {
		return nil
	}
	return &ex.Response.Body
}

// TestReleasedAtEmission: a burst of 40 pipelined requests, more than
// maxPipelined, gets its oldest requests reported unanswered before their
// responses come, and a request with Upgrade waits for its answer. Handing
// every exchange back as soon as it is emitted (pooledSink, poisoned)
// changes neither the exchanges nor what the skip decision is asked about
// the requests, whose header lists the parser must no longer read.
func TestReleasedAtEmission(t *testing.T) {
	var client, server strings.Builder
	for i := range 40 {
		fmt.Fprintf(&client, "GET /r%d HTTP/1.1\r\nHost: a\r\nX-N: %d\r\n\r\n", i, i)
		fmt.Fprintf(&server, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 600\r\n\r\n%s", strings.Repeat(strconv.Itoa(i%10), 600))
	}
	client.WriteString("GET /up HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
	server.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x00")
	asked := func(log *[]string) func(*model.Request, *model.Response) bool {
		return func(req *model.Request, resp *model.Response) bool {
			r := "<none>"
			if req != nil {
				r = fmt.Sprint(req.Method, " ", req.URL, " ", req.Headers)
			}
			*log = append(*log, fmt.Sprint(r, " -> ", resp.Status))
			return false
		}
	}
	for _, step := range []int{1 << 16, 700, 61} {
		var keptLog, pooledLog []string
		kept := &testSink{asked: asked(&keptLog)}
		feedSink(kept, []byte(client.String()), []byte(server.String()), step)
		out := &pooledSink{testSink: testSink{asked: asked(&pooledLog)}}
		out.bodies.Poison, out.headers.Poison = true, true
		feedSink(out, []byte(client.String()), []byte(server.String()), step)
		if len(kept.exs) != 41 || !slices.ContainsFunc(kept.notes, func(n model.Note) bool { return n.Kind == model.NoteLate }) && step > 1<<15 {
			t.Fatalf("step %d: %d exchanges, notes %v: the case no longer gives requests up", step, len(kept.exs), kept.notes)
		}
		if len(out.rows) != len(kept.exs) {
			t.Fatalf("step %d: %d exchanges handing them back, %d not", step, len(out.rows), len(kept.exs))
		}
		for i, f := range kept.exs {
			if want := messageRow(f); out.rows[i] != want {
				t.Fatalf("step %d, exchange %d:\nhanded back %s\nkept        %s", step, i, out.rows[i], want)
			}
		}
		if !slices.Equal(keptLog, pooledLog) {
			t.Fatalf("step %d: the skip decision was asked about\n%q\nhanding back, and about\n%q\nnot", step, pooledLog, keptLog)
		}
	}
}
