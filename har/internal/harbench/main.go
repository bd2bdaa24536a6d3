// Command harbench generates the benchmark HAR and reads it with the har
// reader, for bench/har.sh: one process per step so that /usr/bin/time
// measures the reader's peak memory alone.
//
//	harbench -gen big.har            write ~200 MB (hargen.Default)
//	harbench -gen many.har -entries 100000 -body-bytes 400   many small entries
//	harbench -gen cust.har -entries 2000 -body-kb 30 -customer  customer-like
//	harbench -read big.har           read it, print entries, bytes, seconds, MB/s
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"syscall"
	"time"

	"github.com/traceaudit/traceaudit/har"
	"github.com/traceaudit/traceaudit/internal/hargen"
	"github.com/traceaudit/traceaudit/model"
)

func main() {
	gen := flag.String("gen", "", "write the benchmark HAR to `file`")
	read := flag.String("read", "", "read `file` with har.NewReader")
	entries := flag.Int("entries", hargen.Default.Entries, "entries to generate")
	bodyKB := flag.Int("body-kb", hargen.Default.BodyBytes>>10, "approximate body size in KiB")
	bodyBytes := flag.Int("body-bytes", 0, "approximate body size in bytes (overrides -body-kb)")
	customer := flag.Bool("customer", false, "customer-like shape: a sign-in, then mostly base64 images (hargen.CustomerLike)")
	keep := flag.Int64("keep", 0, "Limits.BodyBytes for reading (0: the default)")
	flag.Parse()
	cfg := hargen.Config{Entries: *entries, BodyBytes: *bodyKB << 10, Seed: 1, Customer: *customer}
	if *bodyBytes > 0 {
		cfg.BodyBytes = *bodyBytes
	}
	if err := run(*gen, *read, cfg, model.Limits{BodyBytes: *keep}); err != nil {
		fmt.Fprintln(os.Stderr, "harbench:", err)
		os.Exit(1)
	}
}

// cpuSeconds is the user and system time of this process so far: on a
// shared machine it is a steadier measure than wall time.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

func run(gen, read string, cfg hargen.Config, limits model.Limits) error {
	if gen != "" {
		f, err := os.Create(gen)
		if err != nil {
			return err
		}
		n, err := hargen.Write(f, cfg)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		fmt.Printf("generated %s: %d entries, %d bytes\n", gen, cfg.Entries, n)
	}
	if read == "" {
		return nil
	}
	f, err := os.Open(read)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	start := time.Now()
	r, err := har.NewReader(f, har.Options{Name: read, Limits: limits})
	if err != nil {
		return err
	}
	n, bodyBytes := 0, 0
	for {
		ex, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		n++
		if ex.Response != nil {
			bodyBytes += len(ex.Response.Body.Data)
		}
	}
	secs := time.Since(start).Seconds()
	cpu := cpuSeconds()
	fmt.Printf("traceaudit har reader: %d entries, %d body bytes kept, %d notes, %.3f s wall (%.1f MB/s), %.3f s cpu (%.1f MB/s per cpu-second)\n",
		n, bodyBytes, len(r.Notes()), secs, float64(st.Size())/1e6/secs, cpu, float64(st.Size())/1e6/cpu)
	return nil
}
