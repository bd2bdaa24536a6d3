// Command quicpair makes QUIC traffic that is not HTTP/3, for pcap's
// tests of QUIC found on ports other than 443: a quic-go server and client
// on loopback agree on another application protocol (ALPN, "doq" by
// default: DNS over QUIC, RFC 9250, whose port is 853) and exchange a
// few messages on a stream each, then close.
//
//	quicpair -listen 127.0.0.1:8853 -alpn doq -n 3
package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"flag"
	"fmt"
	"io"
	"log"
	"math/big"
	"os"
	"time"

	"github.com/quic-go/quic-go"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8853", "the server's UDP address")
	alpn := flag.String("alpn", "doq", "the application protocol both sides offer")
	n := flag.Int("n", 3, "messages, each on a stream of its own")
	flag.Parse()
	if err := run(*listen, *alpn, *n); err != nil {
		log.Fatalf("quicpair: %v", err)
	}
}

func run(listen, alpn string, n int) error {
	cert, err := selfSigned()
	if err != nil {
		return err
	}
	// The client's secrets go to SSLKEYLOGFILE when it is set.
	var keyLog io.Writer
	if path := os.Getenv("SSLKEYLOGFILE"); path != "" {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return err
		}
		defer f.Close()
		keyLog = f
	}
	ln, err := quic.ListenAddr(listen, &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{alpn}}, nil)
	if err != nil {
		return err
	}
	defer ln.Close()
	go serve(ln)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := quic.DialAddr(ctx, listen, &tls.Config{InsecureSkipVerify: true, NextProtos: []string{alpn}, ServerName: "resolver.test", KeyLogWriter: keyLog}, nil)
	if err != nil {
		return err
	}
	for i := range n {
		st, err := conn.OpenStreamSync(ctx)
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintf(st, "query %d", i); err != nil {
			return err
		}
		st.Close()
		answer, err := io.ReadAll(st)
		if err != nil {
			return err
		}
		log.Printf("%s", answer)
	}
	return conn.CloseWithError(0, "")
}

// serve answers each stream with what it read.
func serve(ln *quic.Listener) {
	for {
		conn, err := ln.Accept(context.Background())
		if err != nil {
			return
		}
		go func() {
			for {
				st, err := conn.AcceptStream(context.Background())
				if err != nil {
					return
				}
				q, _ := io.ReadAll(st)
				fmt.Fprintf(st, "answer to %s", q)
				st.Close()
			}
		}()
	}
}

func selfSigned() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "resolver.test"},
		DNSNames: []string{"resolver.test"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}
