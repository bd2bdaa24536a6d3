package pcap

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/pcap/quic"
)

// The limits on a message's header fields (Limits.HeaderCount and
// HeaderBytes) hold for HTTP/2 and HTTP/3 trailer sections too: a stream
// repeating trailer sections once gave one response 100,001 header fields
// from 109 KB of frames (the count limit was applied to each section alone).

// limitNotes are the notes naming a configurable limit.
func limitNotes(notes []model.Note) []model.Note {
	var out []model.Note
	for _, n := range notes {
		if n.Kind == model.NoteLimit && n.Limit != "" {
			out = append(out, n)
		}
	}
	return out
}

func TestH2TrailersWithinLimits(t *testing.T) {
	many := make([]string, 0, 200)
	for range 100 {
		many = append(many, "x-t", "v")
	}
	big := strings.Repeat("b", 6000)
	for _, tc := range []struct {
		name     string
		trailers [][]string
		limit    model.Limit
	}{
		{"count", [][]string{many, many, many, many, many}, model.LimitHeaders},
		{"bytes", [][]string{{"x-a", big}, {"x-b", big}, {"x-c", big}, {"x-d", big}}, model.LimitHeaderBytes},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cl, sv := newH2Writer(), newH2Writer()
			cl.buf.WriteString(h2Preface)
			cl.fr.WriteSettings()
			sv.fr.WriteSettings()
			cl.headers(1, false, ":method", "POST", ":scheme", "https", ":authority", "a", ":path", "/token")
			cl.fr.WriteData(1, false, []byte("x=1"))
			sv.headers(1, false, ":status", "200")
			sv.fr.WriteData(1, false, []byte("ok"))
			for _, kv := range tc.trailers {
				cl.headers(1, false, kv...)
				sv.headers(1, false, kv...)
			}
			cl.fr.WriteData(1, true, nil)
			sv.fr.WriteData(1, true, nil)
			out := feedStreams(cl.buf.Bytes(), sv.buf.Bytes(), 1000)
			if len(out.exs) != 1 || out.exs[0].ex.Response == nil {
				t.Fatalf("%d exchanges, notes %v", len(out.exs), out.notes)
			}
			ex := out.exs[0].ex
			checkBounded(t, ex)
			if ex.Request.URL != "https://a/token" || string(ex.Request.Body.Data) != "x=1" || ex.Response.Status != 200 || string(ex.Response.Body.Data) != "ok" {
				t.Errorf("exchange %s %s %q %d %q", ex.Request.Method, ex.Request.URL, ex.Request.Body.Data, ex.Response.Status, ex.Response.Body.Data)
			}
			// What fits is kept: the first trailer section's first fields.
			if got := ex.Response.Headers.Get(tc.trailers[0][0]); got != tc.trailers[0][1] {
				t.Errorf("first trailer %q = %q", tc.trailers[0][0], got)
			}
			ln := limitNotes(out.notes)
			if len(ln) != 1 || ln[0].Limit != tc.limit || !strings.Contains(ln[0].Message, "stream 1:") || ln[0].Ref == "" {
				t.Errorf("limit notes %+v, want one of %s naming stream 1 and a frame", ln, tc.limit)
			}
		})
	}
}

func TestH3TrailersWithinLimits(t *testing.T) {
	// Static references only: :method GET (17), :scheme https (23),
	// :path / (1), :authority (0) literal "a"; :status 200 (25); a
	// trailer section of 100 fields "age: 0" (static 2).
	reqSection := []byte{0x00, 0x00, 0xd1, 0xd7, 0xc1, 0x50, 0x01, 'a'}
	trailer := append([]byte{0x00, 0x00}, bytes.Repeat([]byte{0xc2}, 100)...)
	var client, server bytes.Buffer
	client.Write([]byte{0x01, byte(len(reqSection))})
	client.Write(reqSection)
	server.Write([]byte{0x01, 0x03, 0x00, 0x00, 0xd9, 0x00, 0x02, 'o', 'k'})
	for range 5 {
		for _, b := range []*bytes.Buffer{&client, &server} {
			b.WriteByte(0x01)
			b.WriteByte(0x40 | byte(len(trailer)>>8))
			b.WriteByte(byte(len(trailer)))
			b.Write(trailer)
		}
	}
	var data []byte
	data = append(data, h3Op(0, quic.ClientToServer, true, client.Bytes())...)
	data = append(data, h3Op(0, quic.ServerToClient, true, server.Bytes())...)
	out := &testSink{}
	playH3(out, data)
	if len(out.exs) != 1 || out.exs[0].ex.Response == nil {
		t.Fatalf("%d exchanges, notes %v", len(out.exs), out.notes)
	}
	ex := out.exs[0].ex
	checkBounded(t, ex)
	if ex.Request.URL != "https://a/" || ex.Response.Status != 200 || string(ex.Response.Body.Data) != "ok" || ex.Response.Headers.Get("age") != "0" {
		t.Errorf("exchange %s %d %q %v", ex.Request.URL, ex.Response.Status, ex.Response.Body.Data, ex.Response.Headers)
	}
	ln := limitNotes(out.notes)
	if len(ln) != 1 || ln[0].Limit != model.LimitHeaders || !strings.Contains(ln[0].Message, fmt.Sprintf("stream 0: %d header fields", 100-(fuzzLimits.HeaderCount-4))) {
		t.Errorf("limit notes %+v", ln)
	}
}
