// Command record is traceaudit's fixture lab: it runs real OpenID providers
// (zitadel/oidc's example OP, ory/fosite, go-oauth2/oauth2 and, on Node.js,
// panva's oidc-provider), a relying party with switchable defects (alone or
// as two instances behind nginx) and a headless Chromium on loopback,
// captures every scenario as a HAR (from CDP events), a pcap (tcpdump), a
// TLS key log and a pcapng with the keys embedded, and writes the findings
// the traces must produce.
//
// Run it through testdata/lab/record.sh (needs root for tcpdump, chromium,
// tcpdump, editcap and tshark; node and npm for oidc-provider). It is never
// run in CI.
package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"time"
)

var keepWork bool

func main() {
	out := flag.String("out", "scenarios", "directory that receives one sub-directory per scenario")
	only := flag.String("only", "", "comma-separated scenario names to record (default: all)")
	// the index sits beside the scenarios, not among them: tests glob
	// scenarios/* and expect directories only
	index := flag.String("index", "SCENARIOS.md", "file that lists the recorded scenarios")
	list := flag.Bool("list", false, "list the scenarios and exit")
	reindex := flag.Bool("reindex", false, "only rewrite the index from the recorded scenarios")
	flag.BoolVar(&keepWork, "keep", false, "keep each scenario's scratch directory (for debugging)")
	var sf serveFlags
	serveMode := flag.Bool("serve", false, "only run fosite and the server-side RP on fixed ports until SIGTERM (see serve.go)")
	flag.IntVar(&sf.opPort, "op-port", 0, "-serve: the provider's port")
	flag.IntVar(&sf.rpPort, "rp-port", 0, "-serve: the RP's port")
	flag.IntVar(&sf.opPublic, "op-public", 0, "-serve: the port in the issuer (a relay's)")
	flag.IntVar(&sf.rpPublic, "rp-public", 0, "-serve: the port in the redirect URI (a relay's)")
	flag.BoolVar(&sf.opTLS, "op-tls", false, "-serve: the provider serves HTTPS")
	flag.BoolVar(&sf.opH2, "op-h2", false, "-serve: the provider offers HTTP/2 (with -op-tls) and the RP's client uses it")
	flag.StringVar(&sf.keyLog, "keylog", "", "-serve: the TLS key log to append to")
	flag.StringVar(&sf.info, "info", "", "-serve: where to write the provider's user, password and URLs (JSON)")
	flag.BoolVar(&sf.publicHTTPS, "public-https", false, "-serve: the issuer and redirect URI are https:// on port 443 (a front such as cmd/h3front terminates TLS and QUIC)")
	flag.BoolVar(&sf.renderAtCallback, "render-at-callback", false, "-serve: the RP answers the callback with the signed-in page and keeps the transaction (a reload redeems again)")
	flag.StringVar(&sf.authorizeRedirectURI, "authorize-redirect-uri", "", "-serve: the RP sends this redirect_uri at authorize instead of the registered one")
	flag.BoolVar(&sf.redeemTwice, "redeem-twice", false, "-serve: the RP redeems each code twice")
	flag.StringVar(&sf.certOut, "cert-out", "", "-serve: where to write the run's certificate and key (PEM) for a TLS-terminating relay")
	flag.Parse()
	// zitadel's exampleop calls slog.SetDefault, which also captures the
	// standard logger: report through a logger of our own.
	log := log.New(os.Stderr, "", 0)
	if *serveMode {
		if err := serve(sf); err != nil {
			log.Fatalf("record: serve: %v", err)
		}
		return
	}
	all := scenarios()
	if *list {
		for _, s := range all {
			fmt.Printf("%-42s %s\n", s.Name, s.Summary)
		}
		return
	}
	if *reindex {
		if err := writeIndex(*out, *index); err != nil {
			log.Fatalf("record: index: %v", err)
		}
		return
	}
	want := map[string]bool{}
	for _, n := range strings.Split(*only, ",") {
		if n = strings.TrimSpace(n); n != "" {
			want[n] = true
		}
	}
	for n := range want {
		if !slices.ContainsFunc(all, func(s *scenario) bool { return s.Name == n }) {
			log.Fatalf("record: unknown scenario %q (see -list)", n)
		}
	}
	for _, tool := range []string{"/usr/bin/chromium", "tcpdump", "editcap", "tshark"} {
		if _, err := exec.LookPath(tool); err != nil {
			log.Fatalf("record: %s not found: apt-get install -y chromium tcpdump wireshark-common tshark", tool)
		}
	}
	for _, s := range all {
		if s.Proxy && (len(want) == 0 || want[s.Name]) {
			tool := cmp.Or(s.ProxyKind, "nginx")
			if _, err := exec.LookPath(tool); err != nil {
				log.Fatalf("record: %s not found (for %s): apt-get install -y %s", tool, s.Name, tool)
			}
		}
	}
	for _, s := range all {
		if s.Provider == "oidcprovider" && (len(want) == 0 || want[s.Name]) {
			// the pinned oidc-provider (package-lock.json), once per run
			if err := ensureNodeModules(context.Background()); err != nil {
				log.Fatalf("record: %v (needs node and npm)", err)
			}
			break
		}
	}
	failed := 0
	for _, s := range all {
		if len(want) > 0 && !want[s.Name] {
			continue
		}
		start := time.Now()
		var err error
		// a run can lose a race with the capture; retry before giving up
		for attempt := 1; attempt <= 3; attempt++ {
			if err = record(s, filepath.Join(*out, s.Name)); err == nil {
				break
			}
			log.Printf("retry %s (attempt %d): %v", s.Name, attempt, err)
		}
		if err != nil {
			failed++
			log.Printf("FAIL %s: %v", s.Name, err)
			continue
		}
		log.Printf("ok   %s (%.1fs)", s.Name, time.Since(start).Seconds())
	}
	if err := writeIndex(*out, *index); err != nil {
		log.Printf("index: %v", err)
		failed++
	}
	if failed > 0 {
		os.Exit(1)
	}
}

// versions reports the module versions compiled into this recorder.
func versions() map[string]string {
	v := map[string]string{}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	v["go"] = info.GoVersion
	for _, d := range info.Deps {
		switch d.Path {
		case "github.com/zitadel/oidc/v3", "github.com/ory/fosite", "github.com/go-oauth2/oauth2/v4", "github.com/chromedp/chromedp", "github.com/chromedp/cdproto":
			v[d.Path] = d.Version
		}
	}
	return v
}

func toolVersion(name string, args ...string) string {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0])
}

// record runs one scenario in a scratch directory and, only when every
// check passed, replaces dir with its files.
func record(s *scenario, dir string) error {
	work, err := os.MkdirTemp("", "lab-"+s.Name+"-")
	if err != nil {
		return err
	}
	if keepWork {
		fmt.Fprintln(os.Stderr, "scratch:", work)
	} else {
		defer os.RemoveAll(work)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	sess := &session{scenario: s, work: work}
	if err := sess.run(ctx); err != nil {
		return err
	}
	files := []string{"trace.har", "capture.pcap", "keys.log", "capture-dsb.pcapng", "expect.json", "README.md"}
	if s.serverSide() {
		files = append(files, serverFiles...)
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(work, f))
		if err != nil {
			return err
		}
		if len(b) > 200*1024 {
			return fmt.Errorf("%s is %d bytes, over the 200 KB fixture budget", f, len(b))
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

func (s *session) run(ctx context.Context) error {
	sc := s.scenario
	var err error
	// ports first, so the capture filter can name them
	if s.opEP, err = listen(sc.opHost(), sc.OPTLS, sc.HTTP2); err != nil {
		return err
	}
	defer s.opEP.close()
	if s.rpEP, err = listen(sc.rpHost(), sc.RPTLS, sc.HTTP2); err != nil {
		return err
	}
	defer s.rpEP.close()
	if sc.Proxy {
		// the browser's app origin is the proxy's; the app instances
		// behind it speak plain HTTP/1.1, as behind most TLS-terminating
		// proxies
		for range 2 {
			inst, err := listen(loopback, false, false)
			if err != nil {
				return err
			}
			defer inst.close()
			s.instances = append(s.instances, inst)
		}
	}
	pcap := filepath.Join(s.work, "capture.pcap")
	filter := "tcp and " + portFilter(s.opEP.Port, s.rpEP.Port)
	if sc.serverSide() {
		// the browser's capture: what the browser's own machine sees
		filter = "tcp and not host " + appServerAddr + " and " + portFilter(s.opEP.Port, s.rpEP.Port)
	}
	var dumps []*tcpdump
	defer func() {
		for _, d := range dumps {
			_ = d.stop()
		}
	}()
	dump, err := startTcpdump(pcap, filter)
	if err != nil {
		return err
	}
	dumps = append(dumps, dump)
	serverPcap := filepath.Join(s.work, "capture-server.pcap")
	if sc.serverSide() {
		// the app server's capture: the callbacks it receives and its
		// back-channel calls (sent from appServerAddr)
		ports := []int{s.rpEP.Port}
		if sc.Proxy {
			ports = nil
			for _, inst := range s.instances {
				ports = append(ports, inst.Port)
			}
		}
		d, err := startTcpdump(serverPcap, "tcp and ("+portFilter(ports...)+" or host "+appServerAddr+")")
		if err != nil {
			return err
		}
		dumps = append(dumps, d)
	}

	cert, pool, err := newCert([]string{sc.opHost(), sc.rpHost()})
	if err != nil {
		return err
	}
	serverKeys, err := os.Create(filepath.Join(s.work, "keys-servers.log"))
	if err != nil {
		return err
	}
	defer serverKeys.Close()
	keyLog := &syncWriter{w: serverKeys}
	rpKeyLog := keyLog
	rpKeys, err := os.Create(filepath.Join(s.work, "keys-rp.log"))
	if err != nil {
		return err
	}
	defer rpKeys.Close()
	if sc.serverSide() {
		// the app server's own key log: its TLS server and its client
		rpKeyLog = &syncWriter{w: rpKeys}
	}
	s.opLog = &strings.Builder{}
	opLog := &syncWriter{w: s.opLog}

	redirects := []string{s.rpEP.Origin() + "/callback", s.rpEP.Origin() + "/spa/callback"}
	if sc.Defects.CallbackPath != "" {
		redirects = append(redirects, s.rpEP.Origin()+sc.Defects.CallbackPath)
	}
	s.registered = redirects
	switch sc.Provider {
	case "zitadel":
		s.op, err = newZitadel(s.opEP.Origin(), redirects, opLog)
	case "fosite":
		s.op, err = newFosite(s.opEP.Origin(), redirects, sc.Fosite, opLog)
	case "gooauth2":
		s.op, err = newGoOAuth2(s.opEP.Origin(), s.rpEP.Origin(), sc.GoOAuth2, opLog)
	case "oidcprovider":
		s.op = newOIDCProvider(s.opEP.Origin(), redirects, sc.OIDCProvider, opLog)
	default:
		err = fmt.Errorf("unknown provider %q", sc.Provider)
	}
	if err != nil {
		return err
	}
	localAddr := ""
	if sc.serverSide() {
		localAddr = appServerAddr
	}
	s.rp = newRP(s.rpEP.Origin(), s.op, sc.Defects, sc.SPA, backChannelClient(pool, rpKeyLog, sc.HTTP2, localAddr))
	expand := strings.NewReplacer("{rp}", s.rpEP.Origin(), "{rp-port}", fmt.Sprint(s.rpEP.Port))
	s.rp.defects.TokenRedirectURI = expand.Replace(sc.Defects.TokenRedirectURI)
	s.rp.defects.AuthorizeRedirectURI = expand.Replace(sc.Defects.AuthorizeRedirectURI)
	stopOP := func() {}
	if s.op.external != nil {
		if stopOP, err = s.op.external(ctx, s.opEP, cert, s.work); err != nil {
			return err
		}
		defer stopOP()
	} else {
		s.opEP.serve(s.op.handler, cert, keyLog)
	}
	var proxy reverseProxy
	if sc.Proxy {
		for i, inst := range s.instances {
			inst.serve(s.rp.instanceHandler(fmt.Sprintf("instance %d", i+1)), cert, rpKeyLog)
		}
		if sc.ProxyKind == "haproxy" {
			proxy, err = startHAProxy(ctx, s.work, s.rpEP, s.instances, cert)
		} else {
			proxy, err = startNginx(ctx, s.work, s.rpEP, s.instances, cert)
		}
		if err != nil {
			return err
		}
		defer proxy.stop()
	} else {
		s.rpEP.serve(s.rp.handler(), cert, rpKeyLog)
	}

	chromeKeys := filepath.Join(s.work, "keys-chromium.log")
	s.chrome, err = launchChromium(ctx, filepath.Join(s.work, "profile"), chromeKeys, sc.ThirdPartyCookies)
	if err != nil {
		return err
	}
	s.started = time.Now().UTC()
	driveErr := sc.Drive(ctx, s)
	s.har = s.chrome.har.build(s.chrome.version, "Recorded by traceaudit's fixture lab: "+sc.Summary)
	s.chrome.close()
	if proxy != nil {
		if err := proxy.stop(); err != nil {
			return err
		}
		s.proxyLog = proxy.accessLog()
	}
	for _, inst := range s.instances {
		inst.close()
	}
	s.rpEP.close()
	stopOP()
	s.opEP.close()
	for _, d := range dumps {
		if err := d.stop(); err != nil {
			dumps = nil
			return err
		}
	}
	dumps = nil
	if driveErr != nil {
		return fmt.Errorf("browser: %w (results so far: %q; provider log: %s)", driveErr, s.results, lastLines(s.opLog.String(), 5))
	}
	if err := writeJSON(filepath.Join(s.work, "trace.har"), s.har); err != nil {
		return err
	}
	serverKeys.Close()
	rpKeys.Close()
	sources := []string{chromeKeys, serverKeys.Name()}
	if s.op.external != nil && sc.OPTLS {
		// the Node.js provider's own key log
		sources = append(sources, filepath.Join(s.work, "keys-node.log"))
	}
	if sc.serverSide() {
		// the browser side has the browser's keys only
		sources = []string{chromeKeys}
	}
	n, err := mergeKeyLogs(filepath.Join(s.work, "keys.log"), sources...)
	if err != nil {
		return err
	}
	if n == 0 && (sc.OPTLS || sc.RPTLS) {
		return errors.New("no TLS secrets were logged")
	}
	if s.wire, err = s.decrypt(ctx, pcap, "keys.log", "capture-dsb.pcapng", n); err != nil {
		return err
	}
	if len(s.wire) == 0 {
		return errors.New("tshark decoded no HTTP request from the capture (TLS not decrypted?)")
	}
	if sc.serverSide() {
		n, err := mergeKeyLogs(filepath.Join(s.work, "keys-server.log"), rpKeys.Name())
		if err != nil {
			return err
		}
		if s.wireServer, err = s.decrypt(ctx, serverPcap, "keys-server.log", "capture-server-dsb.pcapng", n); err != nil {
			return err
		}
		if len(s.wireServer) == 0 {
			return errors.New("tshark decoded no HTTP request from the server's capture")
		}
	}
	if keepWork {
		_ = writeJSON(filepath.Join(s.work, "wire.json"), s.wire)
		_ = writeJSON(filepath.Join(s.work, "wire-server.json"), s.wireServer)
		_ = os.WriteFile(filepath.Join(s.work, "provider.log"), []byte(s.opLog.String()), 0o644)
	}
	exp, err := s.expectations()
	if err != nil {
		return err
	}
	if err := writeJSON(filepath.Join(s.work, "expect.json"), exp); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(s.work, "README.md"), []byte(s.readme(exp)), 0o644)
}

// decrypt embeds the key log (when it has keys) into a pcapng beside the
// capture, refuses a capture with holes, and lists its HTTP requests.
func (s *session) decrypt(ctx context.Context, pcap, keys, out string, nkeys int) ([]wireRequest, error) {
	dsb := filepath.Join(s.work, out)
	var err error
	if nkeys > 0 {
		_, err = run(ctx, "editcap", "--inject-secrets", "tls,"+filepath.Join(s.work, keys), pcap, dsb)
	} else {
		// plain HTTP: nothing to inject; keep the same packets as pcapng
		_, err = run(ctx, "editcap", "-F", "pcapng", pcap, dsb)
	}
	if err != nil {
		return nil, err
	}
	if lost, err := run(ctx, "tshark", "-r", dsb, "-Y", "tcp.analysis.lost_segment || tcp.analysis.ack_lost_segment", "-T", "fields", "-e", "frame.number"); err != nil {
		return nil, err
	} else if lost = strings.TrimSpace(lost); lost != "" {
		return nil, fmt.Errorf("%s has holes (tshark: lost segment before frames %s)", out, strings.ReplaceAll(lost, "\n", ","))
	}
	return tsharkRequests(ctx, dsb)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}

// writeIndex lists every recorded scenario of dir in the file index, from
// their expect.json files.
func writeIndex(dir, index string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("# Recorded scenarios\n\nGenerated by `testdata/lab/record.sh` from each scenario's `expect.json`; see `README.md`.\n\n")
	b.WriteString("| scenario | provider | must find | may find | story |\n|---|---|---|---|---|\n")
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(dir, e.Name(), "expect.json"))
		if err != nil {
			continue
		}
		var exp expectation
		if err := json.Unmarshal(raw, &exp); err != nil {
			return fmt.Errorf("%s: %w", e.Name(), err)
		}
		var must []string
		for _, f := range exp.Findings {
			must = append(must, "`"+f.Rule+"`")
		}
		may := make([]string, 0, len(exp.May))
		for _, m := range exp.May {
			may = append(may, "`"+m+"`")
		}
		rel := filepath.ToSlash(filepath.Join(dir, exp.Scenario))
		mustText := cmp.Or(strings.Join(must, ", "), "none (clean flow)")
		if exp.Pending != "" {
			mustText += " (pending, see PENDING.md)"
		}
		if exp.Case != nil {
			mustText += "; two traces: HAR + server capture"
		}
		fmt.Fprintf(&b, "| [%s](%s/) | %s %v | %s | %s | %s |\n", exp.Scenario, rel, exp.Provider["name"], exp.Provider["version"],
			mustText, cmp.Or(strings.Join(may, ", "), "-"), strings.ReplaceAll(exp.Summary, "|", "/"))
	}
	return os.WriteFile(index, []byte(b.String()), 0o644)
}
