package rules_test

import (
	"fmt"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/oauth"
	"github.com/traceaudit/traceaudit/rules"
)

// TestSignInMemory bounds what the rules hold per sign-in on a trace shaped
// like issue 18's worst capture: every exchange an authorize request (five
// clients, a state each) answered with a page, so that every one is kept
// with its event and makes a transaction. Read as the CLI reads (events in
// chunks of 512, what the rules read of each exchange kept in a slab, the
// exchange itself let go), then analysed. Measured: 381 bytes per sign-in
// after reading (event 216, kept exchange 104 and its place in the list,
// the URL's own end, the state's copy, the ref), 423 with the analysis
// (transaction 24, the state's slot in the index, the list of
// transactions); 424 and 503 with a kept exchange of 144 bytes and a map
// from the state.
// Before the kept URL shared its start with one kept before it, the
// state stopped being a part of the URL, the transaction kept its lists
// aside and events shrank from 280 bytes: 594 and 745.
func TestSignInMemory(t *testing.T) {
	const n = 20_000
	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	page := []byte("<html><body>Sign in</body></html>")
	start := heap()
	x := oauth.NewExtractor()
	var slab rules.ExchangeSlab
	var chunks [][]model.Event
	var kept []*rules.Exchange
	var scratch []model.Event
	for i := range n {
		ex := &model.Exchange{Index: i, Ref: "frame " + strconv.Itoa(193+i), Start: t0.Add(time.Duration(i) * time.Millisecond),
			Request: model.Request{Method: "GET", URL: fmt.Sprintf("http://login.example.com/oauth2/v2.0/authorize?client_id=app-%d&response_type=code&redirect_uri=https%%3A%%2F%%2Fapp.example%%2Fcb&state=s%d-%d", i%5, 20000+i, i%5),
				Headers: model.Headers{{Name: "Host", Value: "login.example.com"}}},
			Response: &model.Response{Status: 200, Headers: model.Headers{{Name: "Content-Type", Value: "text/html"}},
				Body: model.Body{Data: page, MIMEType: "text/html"}}}
		ex.End = ex.Start.Add(time.Millisecond)
		evs := x.AppendExchange(scratch[:0], ex)
		scratch = evs
		if len(evs) != 1 || evs[0].Kind != model.AuthorizeRequest {
			t.Fatalf("exchange %d: %d events, want one authorize request", i, len(evs))
		}
		if len(chunks) == 0 || len(chunks[len(chunks)-1]) == cap(chunks[len(chunks)-1]) {
			chunks = append(chunks, make([]model.Event, 0, 512))
		}
		chunks[len(chunks)-1] = append(chunks[len(chunks)-1], evs...)
		kept = append(kept, slab.Keep(ex, evs))
	}
	x, scratch = nil, nil
	read := heap()
	a := rules.Analyze(rules.Input{Kept: kept, EventChunks: chunks}, rules.Options{})
	analyzed := heap()
	if len(a.Transactions) != n {
		t.Fatalf("%d transactions, want %d", len(a.Transactions), n)
	}
	perRead := float64(read-start) / n
	perAll := float64(analyzed-start) / n
	t.Logf("%d sign-ins: %.0f bytes each after reading, %.0f with the analysis", n, perRead, perAll)
	if perRead > 420 {
		t.Errorf("%.0f bytes per sign-in after reading, over 420: the event, the kept exchange or its URL grew", perRead)
	}
	if perAll > 470 {
		t.Errorf("%.0f bytes per sign-in with the analysis, over 470: a transaction or the analysis' maps grew", perAll)
	}
	runtime.KeepAlive(a)
	runtime.KeepAlive(chunks)
	runtime.KeepAlive(kept)
}
