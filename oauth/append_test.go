package oauth

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/traceaudit/traceaudit/model"
)

// TestAppendExchange: AppendExchange into one reused list holding events
// of earlier exchanges appends exactly what Exchange returns and leaves
// those before it alone, exchange by exchange, on every HAR and capture of
// the repository's testdata.
func TestAppendExchange(t *testing.T) {
	files := repoTraces(t)
	traces, events := 0, 0
	for _, p := range files {
		var exs []*model.Exchange
		if strings.HasSuffix(p, ".har") {
			exs = readHAR(t, p)
		} else {
			exs = readCapture(t, p)
		}
		if len(exs) == 0 {
			continue
		}
		traces++
		one, reused := NewExtractor(), NewExtractor()
		var list []model.Event
		for i, ex := range exs {
			want := one.Exchange(ex)
			// A prefix standing for what an earlier exchange left there.
			prefix := []model.Event{{Kind: model.APICall, Ref: "before"}}
			list = append(list[:0], prefix...)
			got := reused.AppendExchange(list, ex)
			if !reflect.DeepEqual(got[:1], prefix) {
				t.Fatalf("%s exchange %d: the list's first event changed: %+v", p, i, got[0])
			}
			if len(want) == 0 && len(got) == 1 {
				continue
			}
			if !reflect.DeepEqual(got[1:], want) {
				t.Fatalf("%s exchange %d (%s %s): appended\n%+v\nExchange returns\n%+v", p, i, ex.Request.Method, ex.Request.URL, got[1:], want)
			}
			events += len(want)
			list = got
		}
	}
	if traces < 100 || events < 500 {
		t.Errorf("only %d traces and %d events checked", traces, events)
	}
	t.Logf("%d traces, %d events", traces, events)
}

// repoTraces lists every HAR and capture under the repository's testdata,
// and under the other folders given (relative to the repository).
func repoTraces(t *testing.T, more ...string) []string {
	t.Helper()
	var files []string
	for _, root := range append([]string{"testdata"}, more...) {
		err := filepath.WalkDir(filepath.Join("..", root), func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".har") || strings.HasSuffix(p, ".pcap") || strings.HasSuffix(p, ".pcapng")) {
				files = append(files, p)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return files
}

// readTrace reads a HAR or a capture that repoTraces listed.
func readTrace(t *testing.T, path string) []*model.Exchange {
	t.Helper()
	if strings.HasSuffix(path, ".har") {
		return readHAR(t, path)
	}
	return readCapture(t, path)
}
