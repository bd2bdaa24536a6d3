package main

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"
)

// serveFlags are the -serve mode's: the lab's ory/fosite provider and its
// server-side relying party on fixed loopback ports, without browser or
// capture, for recordings made by scripts of their own (the relay
// captures of pcap/testdata/gen-relay.sh). The public ports are the ones
// clients use (a relay's); the RP sends its back-channel calls there too.
type serveFlags struct {
	opPort, rpPort     int  // where the provider and the RP listen
	opPublic, rpPublic int  // the ports in the issuer and redirect URI
	opTLS, opH2        bool // HTTPS; HTTP/2 offered by ALPN and used by the RP
	keyLog, info       string
	certOut            string // where to write the certificate and key (PEM)
	redeemTwice        bool
	// publicHTTPS: clients reach the provider and the RP at
	// https://auth.fosite.test and https://app.localhost (port 443, a
	// TLS and QUIC front such as cmd/h3front), while both listen in
	// plain HTTP on their ports.
	publicHTTPS bool
	// renderAtCallback and authorizeRedirectURI are the RP's defects of
	// the same names (rpDefects).
	renderAtCallback     bool
	authorizeRedirectURI string
}

// serve runs the provider and the RP until SIGINT or SIGTERM. It writes
// info (JSON: the provider's user and password, the client, the URLs) once
// both listen; keyLog receives the provider's and the RP client's TLS
// secrets.
func serve(f serveFlags) error {
	kl, err := os.OpenFile(f.keyLog, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("key log: %w", err)
	}
	defer kl.Close()
	keyLog := &syncWriter{w: kl}
	cert, pool, err := newCert([]string{"auth.fosite.test", "app.localhost"})
	if err != nil {
		return err
	}
	if f.certOut != "" {
		// a TLS-terminating relay presents the same certificate
		der, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
		if err != nil {
			return fmt.Errorf("key: %w", err)
		}
		pemOut := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}),
			pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})...)
		if err := os.WriteFile(f.certOut, pemOut, 0o600); err != nil {
			return fmt.Errorf("certificate: %w", err)
		}
	}
	scheme := "http"
	if f.opTLS {
		scheme = "https"
	}
	issuer := scheme + "://auth.fosite.test:" + strconv.Itoa(f.opPublic)
	rpOrigin := "http://app.localhost:" + strconv.Itoa(f.rpPublic)
	if f.publicHTTPS {
		issuer, rpOrigin = "https://auth.fosite.test", "https://app.localhost"
		// A front on another port than 443 (QUIC found by its content,
		// not its port) is named in the URLs.
		if f.opPublic != 443 {
			issuer += ":" + strconv.Itoa(f.opPublic)
		}
		if f.rpPublic != 443 {
			rpOrigin += ":" + strconv.Itoa(f.rpPublic)
		}
	}
	op, err := newFosite(issuer, []string{rpOrigin + "/callback"}, fositeOptions{}, os.Stderr)
	if err != nil {
		return err
	}
	opLn, err := net.Listen("tcp", net.JoinHostPort(loopback, strconv.Itoa(f.opPort)))
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	rpLn, err := net.Listen("tcp", net.JoinHostPort(loopback, strconv.Itoa(f.rpPort)))
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	opEp := &endpoint{Host: "auth.fosite.test", Port: f.opPort, TLS: f.opTLS, HTTP2: f.opTLS && f.opH2, ln: opLn, closed: make(chan struct{})}
	rpEp := &endpoint{Host: "app.localhost", Port: f.rpPort, ln: rpLn, closed: make(chan struct{})}
	p := newRP(rpOrigin, op, rpDefects{RedeemTwice: f.redeemTwice, RenderAtCallback: f.renderAtCallback, AuthorizeRedirectURI: f.authorizeRedirectURI}, spaDefects{}, backChannelClient(pool, keyLog, f.opH2, ""))
	opEp.serve(op.handler, cert, keyLog)
	rpEp.serve(p.handler(), cert, keyLog)
	defer opEp.close()
	defer rpEp.close()
	info, err := json.Marshal(map[string]string{
		"issuer": issuer, "authorize": op.AuthorizeURL, "token": op.TokenURL, "rp": rpOrigin,
		"username": op.Username, "password": op.Password, "client_id": op.ClientID,
	})
	if err != nil {
		return err
	}
	if err := os.WriteFile(f.info, info, 0o600); err != nil {
		return fmt.Errorf("info: %w", err)
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	<-stop
	return nil
}
