// Command h3front records sign-ins over QUIC (HTTP/3) for pcap's tests.
//
// Serve mode (the default) is a TLS and QUIC front on 127.0.0.1:443: an
// HTTP/3 server (github.com/quic-go/quic-go/http3) and an HTTPS server on
// TCP (for the relying party's back channel) that pass every request on,
// by host name, to a provider and a relying party listening in plain HTTP
// (record -serve -public-https). It presents the certificate record
// -serve -cert-out wrote and writes the SHA-256 of its public key (base64)
// to -spki-out, for Chromium's --ignore-certificate-errors-spki-list.
//
// Drive mode (-drive URL) runs a headless Chromium forced onto QUIC for
// the front's hosts, with SSLKEYLOGFILE set, through a sign-in: it opens
// URL (the RP's /login), fills the provider's login form and waits for the
// callback's page; -reload loads the callback again, as a user pressing
// reload on it does (the RP then redeems the code a second time).
//
// For what real captures hold beyond a first 1-RTT connection: -retry makes
// the server validate every client's address with a Retry packet (quic-go's
// Transport.VerifySourceAddress), -idle shortens QUIC's idle timeout so
// that connections end between a driver's steps, and the driver's -warm
// visits URLs first and waits, so that the sign-in's connections resume
// the warm-up's TLS sessions and carry their first requests in 0-RTT
// packets (quic-go's http3 server allows 0-RTT). -rebind-after relays
// the clients' UDP to the QUIC server (-quic-listen) and moves each client
// to a new source port mid-connection, as a NAT rebinding does.
package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/quic-go/quic-go"
	"github.com/quic-go/quic-go/http3"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:443", "serve: the UDP and TCP address")
	certFile := flag.String("cert", "", "serve: certificate and key (PEM, as record -serve -cert-out writes)")
	spkiOut := flag.String("spki-out", "", "serve: where to write the certificate's SPKI hash (base64 SHA-256)")
	routes := flag.String("routes", "", "serve: host=backend,... (backend host:port, plain HTTP)")
	keyLog := flag.String("keylog", "", "serve: the front's own TLS key log (optional)")
	qpackTable := flag.Uint64("qpack-table", 0, "serve: QPACK table capacity to announce (SETTINGS_QPACK_MAX_TABLE_CAPACITY); quic-go's decoder has no dynamic table, so requests using it fail")
	retry := flag.Bool("retry", false, "serve: validate every client's address with a Retry packet first")
	v2 := flag.Bool("v2", false, "serve: QUIC version 2 (RFC 9369) only; drive: Chromium offers version 2 (--quic-version=RFCv2)")
	reject0RTT := flag.Bool("reject-0rtt", false, "serve: resume TLS sessions but refuse their 0-RTT data (the client sends it again in 1-RTT)")
	idle := flag.Duration("idle", 0, "serve: QUIC's idle timeout (0: quic-go's default, 30s)")
	quicListen := flag.String("quic-listen", "", "serve: where the QUIC server listens when -rebind-after relays -listen's UDP to it")
	rebindAfter := flag.Int("rebind-after", 0, "serve: relay UDP from -listen to -quic-listen and move each client's flow to a new source port after this many of its datagrams (a NAT rebinding, as the server sees it)")
	drive := flag.String("drive", "", "drive: the URL to start the sign-in at")
	spki := flag.String("spki", "", "drive: the front's SPKI hash")
	quicHosts := flag.String("quic-hosts", "", "drive: host:port,... Chromium must reach over QUIC")
	user := flag.String("user", "", "drive: the provider's user name")
	password := flag.String("password", "", "drive: the provider's password")
	reload := flag.Bool("reload", false, "drive: load the callback URL a second time after the sign-in")
	refused := flag.Bool("refused", false, "drive: the provider refuses the authorize request (no login form): wait for its page")
	warm := flag.String("warm", "", "drive: URLs,... to visit before the sign-in, then wait -warm-wait (their connections end, the sign-in's resume them)")
	warmWait := flag.Duration("warm-wait", 0, "drive: how long to wait after -warm")
	flag.Parse()
	var err error
	if *drive != "" {
		err = runDrive(*drive, *spki, *quicHosts, *user, *password, *reload, *refused, *warm, *warmWait, *v2)
	} else {
		if *rebindAfter > 0 {
			go func() { log.Fatalf("h3front: relay: %v", relay(*listen, *quicListen, *rebindAfter)) }()
		}
		err = runServe(*listen, *quicListen, *certFile, *spkiOut, *routes, *keyLog, *qpackTable, *retry, *reject0RTT, *v2, *idle)
	}
	if err != nil {
		log.Fatalf("h3front: %v", err)
	}
}

func runServe(listen, quicListen, certFile, spkiOut, routes, keyLogPath string, qpackTable uint64, retry, reject0RTT, v2 bool, idle time.Duration) error {
	cert, err := tls.LoadX509KeyPair(certFile, certFile)
	if err != nil {
		return fmt.Errorf("certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		return fmt.Errorf("certificate: %w", err)
	}
	sum := sha256.Sum256(leaf.RawSubjectPublicKeyInfo)
	if err := os.WriteFile(spkiOut, []byte(base64.StdEncoding.EncodeToString(sum[:])), 0o600); err != nil {
		return fmt.Errorf("spki: %w", err)
	}
	backends := map[string]*url.URL{}
	for _, r := range strings.Split(routes, ",") {
		host, backend, ok := strings.Cut(r, "=")
		if !ok {
			return fmt.Errorf("route %q: want host=backend", r)
		}
		backends[host] = &url.URL{Scheme: "http", Host: backend}
	}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			host, _, err := net.SplitHostPort(pr.In.Host)
			if err != nil {
				host = pr.In.Host
			}
			pr.SetURL(backends[host])
			pr.Out.Host = pr.In.Host // the provider and the RP build URLs from it
		},
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.Host)
		if err != nil {
			host = r.Host
		}
		if backends[host] == nil {
			http.Error(w, "no such host", http.StatusMisdirectedRequest)
			return
		}
		log.Printf("%s %s %s%s", r.Proto, r.Method, r.Host, r.URL.Path)
		proxy.ServeHTTP(w, r)
	})
	tlsConf := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS13}
	if reject0RTT {
		// One ticket key for this config and the clones quic-go and
		// net/http make, so that this config decrypts their tickets.
		var key [32]byte
		if _, err := rand.Read(key[:]); err != nil {
			return err
		}
		tlsConf.SetSessionTicketKeys([][32]byte{key})
		tlsConf.UnwrapSession = func(identity []byte, cs tls.ConnectionState) (*tls.SessionState, error) {
			ss, err := tlsConf.DecryptTicket(identity, cs)
			if ss != nil {
				ss.EarlyData = false // resumed, its early data refused
			}
			return ss, err
		}
	}
	if keyLogPath != "" {
		kl, err := os.OpenFile(keyLogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return fmt.Errorf("key log: %w", err)
		}
		defer kl.Close()
		tlsConf.KeyLogWriter = kl
	}
	// http3.Server's own default, which a QUICConfig replaces.
	quicConf := &quic.Config{Allow0RTT: true, MaxIdleTimeout: idle}
	if v2 {
		quicConf.Versions = []quic.Version{quic.Version2}
	}
	h3 := &http3.Server{Addr: cmp.Or(quicListen, listen), Handler: handler, TLSConfig: http3.ConfigureTLSConfig(tlsConf), QUICConfig: quicConf}
	if qpackTable > 0 {
		h3.AdditionalSettings = map[uint64]uint64{0x01: qpackTable, 0x07: 16}
	}
	tcp := &http.Server{Addr: listen, Handler: handler, TLSConfig: tlsConf.Clone()}
	errc := make(chan error, 2)
	if retry {
		// Address validation is the Transport's: serve its listener.
		addr, err := net.ResolveUDPAddr("udp", h3.Addr)
		if err != nil {
			return err
		}
		udp, err := net.ListenUDP("udp", addr)
		if err != nil {
			return err
		}
		tr := &quic.Transport{Conn: udp, VerifySourceAddress: func(net.Addr) bool { return true }}
		defer tr.Close()
		ln, err := tr.ListenEarly(http3.ConfigureTLSConfig(tlsConf), quicConf)
		if err != nil {
			return err
		}
		go func() { errc <- h3.ServeListener(ln) }()
	} else {
		go func() { errc <- h3.ListenAndServe() }()
	}
	go func() { errc <- tcp.ListenAndServeTLS("", "") }()
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	select {
	case err := <-errc:
		return err
	case <-stop:
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = tcp.Shutdown(ctx)
	return h3.Close()
}

func runDrive(start, spki, quicHosts, user, password string, reload, refused bool, warm string, warmWait time.Duration, v2 bool) error {
	keyLog := os.Getenv("SSLKEYLOGFILE")
	if keyLog == "" {
		return errors.New("SSLKEYLOGFILE is not set")
	}
	profile, err := os.MkdirTemp("", "h3front-profile")
	if err != nil {
		return err
	}
	defer os.RemoveAll(profile)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath("/usr/bin/chromium"),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("host-resolver-rules", "MAP * 127.0.0.1"),
		chromedp.Flag("enable-quic", true),
		chromedp.Flag("origin-to-force-quic-on", quicHosts),
		chromedp.Flag("ignore-certificate-errors-spki-list", spki),
		chromedp.Flag("ssl-key-log-file", keyLog),
		chromedp.UserDataDir(profile),
		chromedp.Env("SSLKEYLOGFILE=" + keyLog),
		chromedp.WindowSize(1024, 768),
	}
	if v2 {
		opts = append(opts, chromedp.Flag("quic-version", "RFCv2"))
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, 60*time.Second)
	defer cancelT()
	var callback atomic.Value // the first callback URL the tab requested
	if err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok && strings.Contains(e.Request.URL, "/callback?") {
			callback.CompareAndSwap(nil, e.Request.URL)
		}
	}); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		return fmt.Errorf("enable network: %w", err)
	}
	if warm != "" {
		for _, u := range strings.Split(warm, ",") {
			if err := chromedp.Do(ctx, chromedp.Navigate(u)); err != nil {
				return fmt.Errorf("warm-up %s: %w", u, err)
			}
			log.Printf("warmed %s", u)
		}
		time.Sleep(warmWait)
	}
	if refused {
		if err := chromedp.Do(ctx, chromedp.Navigate(start)); err != nil {
			return fmt.Errorf("sign-in: %w", err)
		}
		text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.host + location.pathname + ": " + document.body.innerText`))
		if err != nil {
			return err
		}
		log.Printf("refused: %q", clip(text))
		time.Sleep(500 * time.Millisecond)
		return nil
	}
	if err := chromedp.Do(ctx,
		chromedp.Navigate(start),
		chromedp.WaitVisible(chromedp.ID("username")),
		chromedp.SetValue(chromedp.ID("username"), user),
		chromedp.SetValue(chromedp.ID("password"), password),
		chromedp.Submit(chromedp.ID("password")),
	); err != nil {
		return fmt.Errorf("sign-in: %w", err)
	}
	text, err := waitRP(ctx)
	if err != nil {
		return err
	}
	log.Printf("after sign-in: %q", clip(text))
	if reload {
		cb, _ := callback.Load().(string)
		if cb == "" {
			return errors.New("no callback URL seen")
		}
		if err := chromedp.Do(ctx, chromedp.Navigate(cb)); err != nil {
			return fmt.Errorf("callback again: %w", err)
		}
		time.Sleep(300 * time.Millisecond)
		if text, err = waitRP(ctx); err != nil {
			return err
		}
		log.Printf("after reload: %q", clip(text))
	}
	// Let the browser's last acknowledgements and the connections' idle
	// traffic reach the capture.
	time.Sleep(500 * time.Millisecond)
	return nil
}

// waitRP waits until the tab shows a loaded page of the RP after the
// provider's redirect and returns where it is and its text.
func waitRP(ctx context.Context) (string, error) {
	expr := `(() => {
  if (location.hostname !== "app.localhost" || document.readyState !== "complete" || location.pathname === "/login") return "";
  return location.pathname + ": " + document.body.innerText;
})()`
	for range 300 {
		ectx, cancel := context.WithTimeout(ctx, 5*time.Second)
		res, err := chromedp.Run(ectx, chromedp.Evaluate[string](expr))
		cancel()
		if err == nil && res != "" {
			return res, nil
		}
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		time.Sleep(100 * time.Millisecond)
	}
	return "", errors.New("the RP's page did not come")
}

func clip(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}

// relay passes UDP datagrams between clients at listen and the QUIC
// server at upstream, each client's through a socket of its own; after a
// client's first after datagrams it moves that client to a new socket (a
// new source port), as a NAT that rebinds does: the server sees the same
// connection IDs from a new address and validates the path (quic-go's
// PATH_CHALLENGE), the client sees nothing change.
func relay(listen, upstream string, after int) error {
	laddr, err := net.ResolveUDPAddr("udp", listen)
	if err != nil {
		return err
	}
	up, err := net.ResolveUDPAddr("udp", upstream)
	if err != nil {
		return err
	}
	in, err := net.ListenUDP("udp", laddr)
	if err != nil {
		return err
	}
	back := func(c *net.UDPConn, client *net.UDPAddr) {
		b := make([]byte, 65536)
		for {
			n, err := c.Read(b)
			if err != nil {
				return
			}
			_, _ = in.WriteToUDP(b[:n], client)
		}
	}
	type flow struct {
		conn *net.UDPConn
		n    int
	}
	flows := map[string]*flow{}
	b := make([]byte, 65536)
	for {
		n, client, err := in.ReadFromUDP(b)
		if err != nil {
			return err
		}
		f := flows[client.String()]
		if f == nil || f.n == after {
			c, err := net.DialUDP("udp", nil, up)
			if err != nil {
				return err
			}
			go back(c, client)
			if f == nil {
				f = &flow{}
				flows[client.String()] = f
			} else {
				old := f.conn
				log.Printf("relay: %s rebound from %s to %s", client, old.LocalAddr(), c.LocalAddr())
				// Late answers to the old port still reach the client.
				time.AfterFunc(3*time.Second, func() { old.Close() })
			}
			f.conn = c
		}
		f.n++
		_, _ = f.conn.Write(b[:n])
	}
}
