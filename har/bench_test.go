package har

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/traceaudit/traceaudit/internal/hargen"
	"github.com/traceaudit/traceaudit/model"
)

var bench struct {
	once sync.Once
	dir  string
	path string
	size int64
	err  error
}

// benchHAR writes the ~200 MB benchmark HAR once per test binary run.
func benchHAR(b *testing.B) (string, int64) {
	bench.once.Do(func() {
		bench.dir, bench.err = os.MkdirTemp("", "har-bench-")
		if bench.err != nil {
			return
		}
		bench.path = filepath.Join(bench.dir, "big.har")
		f, err := os.Create(bench.path)
		if err != nil {
			bench.err = err
			return
		}
		bench.size, bench.err = hargen.Write(f, hargen.Default)
		if err := f.Close(); bench.err == nil {
			bench.err = err
		}
	})
	if bench.err != nil {
		b.Fatal(bench.err)
	}
	return bench.path, bench.size
}

func TestMain(m *testing.M) {
	code := m.Run()
	if bench.dir != "" {
		os.RemoveAll(bench.dir)
	}
	os.Exit(code)
}

// BenchmarkReader reads a generated Chrome-like HAR of 240 entries with
// ~850 KB bodies (about 200 MB) and reports MB/s.
func BenchmarkReader(b *testing.B) {
	path, size := benchHAR(b)
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		r, err := NewReader(f, Options{})
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			_, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		f.Close()
		if n != hargen.Default.Entries {
			b.Fatalf("%d entries, want %d", n, hargen.Default.Entries)
		}
	}
}

// BenchmarkReaderCorpus reads a real Chrome export (27 entries, 420 KB),
// where per-entry costs matter more than body decoding.
func BenchmarkReaderCorpus(b *testing.B) {
	data, err := os.ReadFile("testdata/harviewer-chrome51.har")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r, err := NewReader(bytes.NewReader(data), Options{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := model.ReadAll(r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReaderFile reads the HAR named by TRACEAUDIT_BENCH_FILE as scan
// does (bodies of scripts, images and fonts skipped), for profiling the
// reader alone on generated many-entry files. BenchmarkReaderFileSequential
// decodes on the framing goroutine: its time is the reader's CPU time.
func BenchmarkReaderFile(b *testing.B) { benchReaderFile(b, false) }

func BenchmarkReaderFileSequential(b *testing.B) { benchReaderFile(b, true) }

// BenchmarkReaderFileCaller reads the HAR named by TRACEAUDIT_BENCH_FILE
// with a caller that spends a while on every exchange, as scan's
// extraction does (about a microsecond an entry of the 100,000-entry HAR):
// framing runs on a goroutine of its own, so a caller's pace must not hold
// it up; on two cores this takes about as long as the reader alone, not
// the sum of the two.
func BenchmarkReaderFileCaller(b *testing.B) {
	path := os.Getenv("TRACEAUDIT_BENCH_FILE")
	if path == "" {
		b.Skip("TRACEAUDIT_BENCH_FILE not set")
	}
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(fi.Size())
	b.ReportAllocs()
	var sink uint64
	for b.Loop() {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		r, err := NewReader(f, Options{SkipBody: model.CarriesNoOAuth, ReuseExchanges: true})
		if err != nil {
			b.Fatal(err)
		}
		for {
			ex, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				b.Fatal(err)
			}
			sink += callerWork(ex)
			r.Release(ex)
			r.ReleaseHeaders(ex.Request.Headers)
			if ex.Response != nil {
				r.ReleaseHeaders(ex.Response.Headers)
			}
			r.ReleaseExchange(ex)
		}
		f.Close()
	}
	if sink == 1 {
		b.Log(sink)
	}
}

// callerWork stands for what a caller does with an exchange: it reads the
// URL and every header byte a few times over.
func callerWork(ex *model.Exchange) uint64 {
	h := uint64(14695981039346656037)
	for range 4 {
		for i := 0; i < len(ex.Request.URL); i++ {
			h = (h ^ uint64(ex.Request.URL[i])) * 1099511628211
		}
		for _, hd := range ex.Request.Headers {
			for i := 0; i < len(hd.Value); i++ {
				h = (h ^ uint64(hd.Value[i])) * 1099511628211
			}
		}
	}
	return h
}

func benchReaderFile(b *testing.B, sequential bool) {
	path := os.Getenv("TRACEAUDIT_BENCH_FILE")
	if path == "" {
		b.Skip("TRACEAUDIT_BENCH_FILE not set")
	}
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(fi.Size())
	b.ReportAllocs()
	for b.Loop() {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		r, err := NewReader(f, Options{SkipBody: model.CarriesNoOAuth})
		if err != nil {
			b.Fatal(err)
		}
		r.sequential = sequential
		for {
			if _, err := r.Next(); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
		f.Close()
	}
}

// BenchmarkFrameFile frames the entries of the HAR named by
// TRACEAUDIT_BENCH_FILE without decoding them: the framing goroutine's
// share of a scan, with frameFast and with the general switch alone.
func BenchmarkFrameFile(b *testing.B) {
	path := os.Getenv("TRACEAUDIT_BENCH_FILE")
	if path == "" {
		b.Skip("TRACEAUDIT_BENCH_FILE not set")
	}
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	for _, slow := range []bool{false, true} {
		b.Run(map[bool]string{false: "fast", true: "slow"}[slow], func(b *testing.B) {
			b.SetBytes(fi.Size())
			for b.Loop() {
				f, err := os.Open(path)
				if err != nil {
					b.Fatal(err)
				}
				r, err := NewReader(f, Options{SkipBody: model.CarriesNoOAuth})
				if err != nil {
					b.Fatal(err)
				}
				r.sc.slowFrame = slow
				for fr := r.frameNext(); fr != nil; fr = r.frameNext() {
					r.recycle(fr)
				}
				r.releaseMapped()
				f.Close()
			}
		})
	}
}
