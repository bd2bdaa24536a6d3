package oauth

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/secret"
)

// TestCompactTokensSameEvents extracts every HAR and capture of the
// repository's testdata (samples, the lab's sign-ins, third-party traces)
// with and without CompactTokens: the events are the same but for their
// access, ID and refresh tokens, which are compacted when long and read
// the same (equal to the raw value, same fingerprint and length), and no
// other secret is compacted.
func TestCompactTokensSameEvents(t *testing.T) {
	var files []string
	for _, root := range []string{filepath.Join("..", "testdata"), filepath.Join("..", "rules", "testdata")} {
		filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && !strings.Contains(p, "fuzz") {
				files = append(files, p)
			}
			return err
		})
	}
	traces, compacted := 0, 0
	for _, p := range files {
		var exs []*model.Exchange
		switch {
		case strings.HasSuffix(p, ".har"):
			exs = readHAR(t, p)
		case strings.HasSuffix(p, ".pcap"), strings.HasSuffix(p, ".pcapng"):
			exs = readCapture(t, p)
		}
		if len(exs) == 0 {
			continue
		}
		traces++
		plain, comp := NewExtractor(), NewExtractor()
		comp.CompactTokens()
		for _, ex := range exs {
			want, got := plain.Exchange(ex), comp.Exchange(ex)
			if len(got) != len(want) {
				t.Fatalf("%s %s: %d events compacting, %d not", p, ex.Ref, len(got), len(want))
			}
			for i := range got {
				g, w := got[i], want[i]
				gt, wt := tokensOf(&g), tokensOf(&w)
				for j := range gt {
					if gt[j].IsCompact() {
						compacted++
					}
					if !gt[j].Equal(wt[j]) || gt[j].Fingerprint() != wt[j].Fingerprint() || gt[j].Len() != wt[j].Len() ||
						gt[j].IsCompact() != (wt[j].Len() >= secret.CompactMin && !secret.IsPlaceholder(wt[j])) {
						t.Errorf("%s %s: token %d of a %s reads differently compacted", p, ex.Ref, j, g.Kind)
					}
				}
				// The rest of the event is the same.
				clearTokens(&g)
				clearTokens(&w)
				if !reflect.DeepEqual(g, w) {
					t.Errorf("%s %s: event %d differs compacting tokens:\n%+v\n%+v", p, ex.Ref, i, g, w)
				}
				g.EachSecret(func(s secret.Secret) {
					if s.IsCompact() {
						t.Errorf("%s %s: a secret other than a token was compacted", p, ex.Ref)
					}
				})
			}
		}
	}
	if traces < 100 || compacted < 50 {
		t.Fatalf("%d traces, %d tokens compacted: the test lost its inputs", traces, compacted)
	}
	t.Logf("%d traces, %d tokens compacted", traces, compacted)
}

func tokensOf(e *model.Event) []secret.Secret {
	return []secret.Secret{e.AccessToken(), e.IDToken(), e.RefreshToken()}
}

// clearTokens empties an event's tokens on copies of what holds them.
func clearTokens(e *model.Event) {
	e.SetAccessToken(secret.Secret{})
	e.SetIDToken(secret.Secret{})
	if e.Token != nil {
		tp := *e.Token
		tp.RefreshToken = secret.Secret{}
		e.Token = &tp
	}
}
