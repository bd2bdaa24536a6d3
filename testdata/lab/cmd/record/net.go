package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// loopback is the only address the lab ever dials or listens on: the
// network here is closed, and every host name in a scenario is mapped to it.
const loopback = "127.0.0.1"

// newCert makes a throwaway self-signed certificate for the given names; it
// lives only for one recorder run.
func newCert(names []string) (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("generate key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("serial: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "traceaudit fixture lab (throwaway)"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              names,
		IPAddresses:           []net.IP{net.ParseIP(loopback)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("create certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("parse certificate: %w", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool, nil
}

// endpoint is one listening server of a scenario.
type endpoint struct {
	Host   string // name the browser and the RP use, e.g. id.zitadel.test
	Port   int
	TLS    bool
	HTTP2  bool // offered through ALPN (TLS only; browsers never speak h2c)
	srv    *http.Server
	ln     net.Listener
	closed chan struct{}
}

// Origin is scheme://host:port.
func (e *endpoint) Origin() string {
	scheme := "http"
	if e.TLS {
		scheme = "https"
	}
	return scheme + "://" + e.Host + ":" + strconv.Itoa(e.Port)
}

// listen opens a loopback port now, so that the capture filter can name it
// before anything is served.
func listen(host string, useTLS, http2 bool) (*endpoint, error) {
	ln, err := net.Listen("tcp", loopback+":0")
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	return &endpoint{Host: host, Port: ln.Addr().(*net.TCPAddr).Port, TLS: useTLS, HTTP2: http2 && useTLS, ln: ln, closed: make(chan struct{})}, nil
}

// serve starts h on the endpoint. keyLog receives the server's TLS secrets.
func (e *endpoint) serve(h http.Handler, cert tls.Certificate, keyLog io.Writer) {
	// the browser drops idle connections at exit; the server's complaints
	// about that are noise
	e.srv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	if e.HTTP2 {
		protocols.SetHTTP2(true)
	}
	e.srv.Protocols = &protocols
	go func() {
		defer close(e.closed)
		if e.TLS {
			e.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, KeyLogWriter: keyLog, MinVersion: tls.VersionTLS12}
			_ = e.srv.ServeTLS(e.ln, "", "")
			return
		}
		_ = e.srv.Serve(e.ln)
	}()
}

func (e *endpoint) close() {
	if e.srv == nil {
		e.ln.Close()
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = e.srv.Shutdown(ctx)
	<-e.closed
}

// backChannelClient is the RP's HTTP client: it resolves every name to
// loopback (like the browser's --host-resolver-rules), trusts the run's
// certificate and logs its TLS secrets.
func backChannelClient(pool *x509.CertPool, keyLog io.Writer, http2 bool, localAddr string) *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	if localAddr != "" {
		dialer.LocalAddr = &net.TCPAddr{IP: net.ParseIP(localAddr)}
	}
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	if http2 {
		protocols.SetHTTP2(true)
	}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			_, port, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			return dialer.DialContext(ctx, "tcp4", net.JoinHostPort(loopback, port))
		},
		TLSClientConfig: &tls.Config{RootCAs: pool, KeyLogWriter: keyLog, MinVersion: tls.VersionTLS12},
		Protocols:       &protocols,
		MaxIdleConns:    4,
		IdleConnTimeout: 30 * time.Second,
	}
	return &http.Client{
		Transport: tr,
		Timeout:   10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// syncWriter serializes key-log lines written by several TLS stacks.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
