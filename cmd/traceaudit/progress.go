package main

import (
	"fmt"
	"io"
	"os"
	"time"
)

// progress reports files done, bytes, findings, rate and ETA on stderr,
// redrawing one line; only on a terminal unless --progress=always.
type progress struct {
	w          io.Writer
	on         bool
	total      int
	totalBytes int64
	sizes      map[string]int64 // input sizes, taken once at the start
	done       int
	doneBytes  int64
	findings   int
	start      time.Time
	last       time.Time
	now        func() time.Time
}

func newProgress(o *options, env environment, inputs []input) *progress {
	p := &progress{w: env.stderr, total: len(inputs), now: time.Now}
	switch o.progress {
	case "always":
		p.on = true
	case "auto":
		p.on = env.isTerminal(env.stderr)
	}
	if !p.on {
		return p
	}
	p.sizes = make(map[string]int64, len(inputs))
	for _, in := range inputs {
		if in.path == "-" {
			continue
		}
		if fi, err := os.Stat(in.path); err == nil {
			p.sizes[in.path] = fi.Size()
			p.totalBytes += fi.Size()
		}
	}
	p.start = p.now()
	return p
}

func (p *progress) doneFile(path string, findings int) {
	if !p.on {
		return
	}
	p.done++
	p.doneBytes += p.sizes[path]
	p.findings += findings
	now := p.now()
	if p.done < p.total && now.Sub(p.last) < 100*time.Millisecond {
		return
	}
	p.last = now
	elapsed := now.Sub(p.start).Seconds()
	rate := 0.0
	if elapsed > 0 {
		rate = float64(p.doneBytes) / elapsed / 1e6
	}
	eta := "-"
	if p.doneBytes > 0 && p.totalBytes > p.doneBytes {
		remain := time.Duration(float64(p.totalBytes-p.doneBytes) / float64(p.doneBytes) * float64(now.Sub(p.start)))
		eta = remain.Round(time.Second).String()
	}
	fmt.Fprintf(p.w, "\r\x1b[K%d/%d files  %.1f/%.1f MB  %d findings  %.1f MB/s  ETA %s",
		p.done, p.total, float64(p.doneBytes)/1e6, float64(p.totalBytes)/1e6, p.findings, rate, eta)
}

func (p *progress) finish() {
	if p.on && p.done > 0 {
		fmt.Fprintln(p.w)
	}
}
