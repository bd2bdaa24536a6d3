package rules

import (
	"fmt"
	"testing"
	"unsafe"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/secret"
)

// TestCrossingCandidatesWithoutProof: findCrossings skips a sign-in
// without callback or redemption when no sign-in among its candidates has
// one; the sign-in that has one is still found at the last candidate
// position (the 64th after), and not past it.
func TestCrossingCandidatesWithoutProof(t *testing.T) {
	for _, tc := range []struct {
		at   int // position of the sign-in whose redemption proves the crossing with the first
		want int // crossings found
	}{{1, 1}, {maxRaceCandidates, 1}, {maxRaceCandidates + 1, 0}} {
		a := &Analysis{}
		txs := make([]*Transaction, maxRaceCandidates+2)
		for i := range txs {
			az := &model.Event{Kind: model.AuthorizeRequest, Exchange: i, Target: &model.Target{ClientID: "c"}, State: secret.New(fmt.Sprintf("state-%d", i))}
			txs[i] = &Transaction{ID: i + 1, Authorize: az}
		}
		req := &model.Event{Kind: model.TokenRequest, Exchange: 1000, Ref: "frame 1000"}
		txs[tc.at].more().redemptions = []*Redemption{{Request: req, VerifierTx: txs[0], Tx: txs[tc.at]}}
		a.Transactions = txs
		a.findCrossings()
		if len(a.Crossings) != tc.want {
			t.Errorf("proof at sign-in %d: %d crossings, want %d", tc.at, len(a.Crossings), tc.want)
			continue
		}
		if tc.want > 0 && (a.Crossings[0].A != txs[0] || a.Crossings[0].B != txs[tc.at]) {
			t.Errorf("proof at sign-in %d: crossing of #%d and #%d, want #1 and #%d", tc.at, a.Crossings[0].A.ID, a.Crossings[0].B.ID, tc.at+1)
		}
	}
}

// TestTransactionSize: a capture of 65,000 authorize requests holds as many
// transactions while the rules run; what few sign-ins have stays aside.
func TestTransactionSize(t *testing.T) {
	if got := unsafe.Sizeof(Transaction{}); got > 24 {
		t.Errorf("Transaction is %d bytes, over 24: put what a sign-in has after its authorize request in txRare", got)
	}
}

// TestRedemptionSize: a redemption keeps its error's class in itself (64
// bytes with the four links); a record beside it with the catalog entry
// cost 128 bytes more per failed redemption, enough on har-100k's 10,000
// to lift the memory budget.
func TestRedemptionSize(t *testing.T) {
	if got := unsafe.Sizeof(Redemption{}); got > 64 {
		t.Errorf("Redemption is %d bytes, over 64", got)
	}
}
