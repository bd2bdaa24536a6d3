//go:build ignore

// gen-h2c makes cleartext HTTP/2 traffic on 127.0.0.1:18080 for
// gen-h2c.sh to capture: a prior-knowledge connection (GET with a query,
// POST with a form body answered with gzip JSON) and an HTTP/1.1
// connection upgraded with "Upgrade: h2c" that then sends a second
// request on stream 3.
package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/h2c"
	"golang.org/x/net/http2/hpack"
)

const addr = "127.0.0.1:18080"

func main() {
	mux := http.NewServeMux()
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		fmt.Fprintf(zw, `{"error":"invalid_grant","error_description":"AADSTS54005: OAuth2 Authorization code was already redeemed","form_bytes":%d}`, len(body))
		zw.Close()
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "hello %s %s\n", r.Proto, r.URL.Path)
	})
	srv := &http.Server{Addr: addr, Handler: h2c.NewHandler(mux, &http2.Server{})}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Fatal(err)
	}
	go srv.Serve(ln)
	time.Sleep(200 * time.Millisecond)

	priorKnowledge()
	time.Sleep(200 * time.Millisecond)
	upgrade()
	time.Sleep(200 * time.Millisecond)
	srv.Close()
}

func priorKnowledge() {
	tr := &http2.Transport{
		AllowHTTP: true,
		DialTLSContext: func(ctx context.Context, network, a string, _ *tls.Config) (net.Conn, error) {
			return net.Dial(network, a)
		},
	}
	c := &http.Client{Transport: tr}
	resp, err := c.Get("http://" + addr + "/authorize?client_id=app&state=s1")
	if err != nil {
		log.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	resp, err = c.Post("http://"+addr+"/token", "application/x-www-form-urlencoded",
		strings.NewReader("grant_type=authorization_code&code=c0de&client_id=app"))
	if err != nil {
		log.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	tr.CloseIdleConnections()
}

func upgrade() {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /upgrade?step=1 HTTP/1.1\r\nHost: %s\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n", addr)
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != 101 {
		log.Fatalf("upgrade: %v %v", err, resp)
	}
	io.WriteString(conn, http2.ClientPreface)
	fr := http2.NewFramer(conn, br)
	fr.WriteSettings()
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	for _, f := range [][2]string{{":method", "GET"}, {":scheme", "http"}, {":authority", addr}, {":path", "/after-upgrade"}} {
		enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
	}
	fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 3, BlockFragment: hb.Bytes(), EndStream: true, EndHeaders: true})
	ended := map[uint32]bool{}
	for len(ended) < 2 {
		f, err := fr.ReadFrame()
		if err != nil {
			log.Fatal(err)
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() {
				fr.WriteSettingsAck()
			}
		case *http2.HeadersFrame:
			if f.StreamEnded() {
				ended[f.StreamID] = true
			}
		case *http2.DataFrame:
			if f.StreamEnded() {
				ended[f.StreamID] = true
			}
		}
	}
	fr.WriteGoAway(3, http2.ErrCodeNo, nil)
}
