package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// tcpdump captures loopback traffic to the scenario's ports only, so that
// nothing but the scenario's own exchanges lands in the fixture.
type tcpdump struct {
	cmd    *exec.Cmd
	stderr *bytes.Buffer // written by the reader goroutine until done closes
	done   chan struct{}
}

// portFilter is the BPF expression for TCP to or from any of ports.
func portFilter(ports ...int) string {
	var filter []string
	for _, p := range ports {
		filter = append(filter, "port "+strconv.Itoa(p))
	}
	return "(" + strings.Join(filter, " or ") + ")"
}

func startTcpdump(path, filter string) (*tcpdump, error) {
	args := []string{"-i", "lo", "--immediate-mode", "-B", "32768", "-U", "-n", "-w", path, filter}
	cmd := exec.Command("tcpdump", args...)
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = pw
	if err := cmd.Start(); err != nil {
		pw.Close()
		pr.Close()
		return nil, fmt.Errorf("start tcpdump: %w", err)
	}
	pw.Close()
	t := &tcpdump{cmd: cmd, stderr: &bytes.Buffer{}, done: make(chan struct{})}
	ready := make(chan bool, 1)
	go func() {
		defer close(t.done)
		sc := bufio.NewScanner(pr)
		signalled := false
		for sc.Scan() {
			t.stderr.WriteString(sc.Text() + "\n")
			if !signalled && strings.Contains(sc.Text(), "listening on") {
				signalled = true
				ready <- true
			}
		}
		if !signalled {
			ready <- false
		}
	}()
	select {
	case ok := <-ready:
		if !ok {
			_ = cmd.Wait()
			return nil, fmt.Errorf("tcpdump did not start: %s", t.stderr.String())
		}
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		return nil, errors.New("tcpdump did not start within 10s")
	}
	return t, nil
}

func (t *tcpdump) stop() error {
	time.Sleep(500 * time.Millisecond) // let the last FINs through
	if err := t.cmd.Process.Signal(syscall.SIGINT); err != nil {
		return fmt.Errorf("stop tcpdump: %w", err)
	}
	err := t.cmd.Wait()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		return fmt.Errorf("tcpdump: %w", err)
	}
	<-t.done
	// a capture with holes would give readers gaps the real traffic never
	// had: refuse it (the scenario is then recorded again)
	if m := droppedRE.FindStringSubmatch(t.stderr.String()); m != nil && m[1] != "0" {
		return fmt.Errorf("tcpdump: %s packets dropped by kernel", m[1])
	}
	return nil
}

var droppedRE = regexp.MustCompile(`(\d+) packets? dropped by kernel`)

// mergeKeyLogs writes the NSS key-log lines of every source once, sorted, so
// that the fixture's keys.log covers browser, servers and RP client.
func mergeKeyLogs(out string, sources ...string) (int, error) {
	seen := map[string]bool{}
	for _, src := range sources {
		b, err := os.ReadFile(src)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			return 0, err
		}
		for _, line := range strings.Split(string(b), "\n") {
			line = strings.TrimSpace(line)
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			seen[line] = true
		}
	}
	lines := make([]string, 0, len(seen))
	for l := range seen {
		lines = append(lines, l)
	}
	sort.Strings(lines)
	return len(lines), os.WriteFile(out, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
}

func run(ctx context.Context, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%s: %w: %s", name, err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// wireRequest is one HTTP request tshark decoded from the capture (TLS
// decrypted with the embedded secrets).
type wireRequest struct {
	Frame     int // where the request starts: its first TCP segment (h1) or HEADERS frame (h2)
	Stream    string
	Method    string
	Path      string
	Host      string
	Version   string
	Form      map[string]string // urlencoded body fields, when present
	Status    int               // response status, 0 when tshark saw none
	UserAgent string
}

// tsharkRequests lists the HTTP/1.1 and HTTP/2 requests in a pcapng. It is
// the capture-side ground truth for the expectations' "frame N" refs.
func tsharkRequests(ctx context.Context, pcapng string) ([]wireRequest, error) {
	fields := []string{"frame.number", "tcp.stream", "tcp.segment", "http.request.method", "http.request.uri", "http.host",
		"http2.streamid", "http2.headers.method", "http2.headers.path", "http2.headers.authority", "http2.type",
		"urlencoded-form.key", "urlencoded-form.value", "http.response.code", "http2.headers.status",
		"http.user_agent", "http2.headers.user_agent"}
	args := []string{"-r", pcapng, "-o", "tcp.desegment_tcp_streams:TRUE", "-Y", "http or http2", "-T", "fields", "-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=|"}
	for _, f := range fields {
		args = append(args, "-e", f)
	}
	out, err := run(ctx, "tshark", args...)
	if err != nil {
		return nil, err
	}
	var reqs []*wireRequest
	byStream := map[string]*wireRequest{} // tcp stream [+ h2 stream] -> open request
	for _, line := range strings.Split(out, "\n") {
		if line == "" {
			continue
		}
		col := strings.Split(line, "\t")
		for len(col) < len(fields) {
			col = append(col, "")
		}
		frame, _ := strconv.Atoi(col[0])
		tcpStream := col[1]
		split := func(s string) []string {
			if s == "" {
				return nil
			}
			return strings.Split(s, "|")
		}
		if col[3] != "" { // HTTP/1.x request
			start := frame
			if segs := split(col[2]); len(segs) > 0 {
				if f, err := strconv.Atoi(segs[0]); err == nil && f < start {
					start = f
				}
			}
			r := &wireRequest{Frame: start, Stream: tcpStream, Method: col[3], Path: col[4], Host: col[5], Version: "HTTP/1.1", Form: map[string]string{}, UserAgent: col[15]}
			keys, vals := split(col[11]), split(col[12])
			for i := range keys {
				if i < len(vals) {
					r.Form[keys[i]] = vals[i]
				}
			}
			reqs = append(reqs, r)
			byStream[tcpStream] = r
			continue
		}
		if col[13] != "" {
			if r := byStream[tcpStream]; r != nil && r.Status == 0 {
				r.Status, _ = strconv.Atoi(split(col[13])[0])
			}
		}
		// HTTP/2: a packet can carry several frames of several streams.
		streamIDs := split(col[6])
		methods, paths, authorities, agents := split(col[7]), split(col[8]), split(col[9]), split(col[16])
		mi := 0
		for _, sid := range uniq(streamIDs) {
			if sid == "0" || mi >= len(methods) {
				continue
			}
			key := tcpStream + "/" + sid
			if byStream[key] != nil {
				continue
			}
			r := &wireRequest{Frame: frame, Stream: key, Method: methods[mi], Version: "HTTP/2", Form: map[string]string{}}
			if mi < len(paths) {
				r.Path = paths[mi]
			}
			if mi < len(authorities) {
				r.Host = authorities[mi]
			}
			if mi < len(agents) {
				r.UserAgent = agents[mi]
			}
			mi++
			reqs = append(reqs, r)
			byStream[key] = r
		}
		if keys := split(col[11]); len(keys) > 0 {
			vals := split(col[12])
			// a packet can carry frames of several streams: the form
			// belongs to a POST still waiting for its body
			for _, sid := range uniq(streamIDs) {
				if r := byStream[tcpStream+"/"+sid]; r != nil && r.Method == "POST" && len(r.Form) == 0 {
					for i := range keys {
						if i < len(vals) {
							r.Form[keys[i]] = vals[i]
						}
					}
					break
				}
			}
		}
		if st := split(col[14]); len(st) > 0 {
			for i, sid := range uniq(streamIDs) {
				if r := byStream[tcpStream+"/"+sid]; r != nil && r.Status == 0 && i < len(st) {
					r.Status, _ = strconv.Atoi(st[i])
				}
			}
		}
	}
	result := make([]wireRequest, 0, len(reqs))
	for _, r := range reqs {
		result = append(result, *r)
	}
	sort.SliceStable(result, func(i, j int) bool { return result[i].Frame < result[j].Frame })
	return result, nil
}

func uniq(s []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
