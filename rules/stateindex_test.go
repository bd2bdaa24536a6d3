package rules

import (
	"fmt"
	"testing"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/secret"
)

// TestStateIndexAsMap: the index finds what a map from the state finds,
// keeping the latest or the first transaction of a state, across its
// growth, with states repeated and absent.
func TestStateIndexAsMap(t *testing.T) {
	var txs []*Transaction
	var latest, first stateIndex
	wantLatest, wantFirst := map[secret.Secret]int{}, map[secret.Secret]int{}
	for i := range 5000 {
		s := secret.New(fmt.Sprintf("state-%d", i%3700))
		txs = append(txs, &Transaction{ID: i + 1, Authorize: &model.Event{State: s}})
		prev := -1
		if p, ok := wantLatest[s]; ok {
			prev = p
		}
		if got := latest.put(txs, s, i, true); got != prev {
			t.Fatalf("put %d replaced %d, want %d", i, got, prev)
		}
		wantLatest[s] = i
		if _, ok := wantFirst[s]; !ok {
			wantFirst[s] = i
		}
		if got := first.put(txs, s, i, false); got >= 0 && got != wantFirst[s] {
			t.Fatalf("put %d (first) found %d, want %d", i, got, wantFirst[s])
		}
	}
	for s, want := range wantLatest {
		if got := latest.get(txs, s); got != want {
			t.Errorf("latest %v: %d, want %d", s, got, want)
		}
		if got := first.get(txs, s); got != wantFirst[s] {
			t.Errorf("first %v: %d, want %d", s, got, wantFirst[s])
		}
	}
	if got := latest.get(txs, secret.New("state-absent")); got != -1 {
		t.Errorf("absent state found at %d", got)
	}
	var empty stateIndex
	if got := empty.get(nil, secret.New("x")); got != -1 {
		t.Errorf("empty index found %d", got)
	}
	if latest.n != 3700 || len(latest.slots) > 8192 {
		t.Errorf("%d states in %d slots, want 3700 in at most 8192", latest.n, len(latest.slots))
	}
}
