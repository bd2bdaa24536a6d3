//go:build ignore

// gen-h2streams makes cleartext traffic on 127.0.0.1:18081 for
// gen-h2streams.sh to capture: one prior-knowledge HTTP/2 connection
// carrying eight requests one after another (each with its own x-step
// header, so that both sides' HPACK tables fill; the fourth answered with
// 40,000 bytes in several DATA frames), then one HTTP/1.1 keep-alive
// connection with a GET and a POST. The values are made up.
package main

import (
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
)

const addr = "127.0.0.1:18081"

func main() {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("X-Served", "step-"+r.Header.Get("X-Step"))
		if r.URL.Query().Get("n") == "4" {
			fmt.Fprint(w, strings.Repeat("0123456789", 4000))
			return
		}
		fmt.Fprintf(w, "hello %s %s\n", r.Proto, r.URL.RequestURI())
	})
	srv := &http.Server{Addr: addr, Handler: h2c.NewHandler(mux, &http2.Server{})}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Fatal(err)
	}
	go srv.Serve(ln)
	time.Sleep(200 * time.Millisecond)

	tr := &http2.Transport{
		AllowHTTP: true,
		DialTLSContext: func(ctx context.Context, network, a string, _ *tls.Config) (net.Conn, error) {
			return net.Dial(network, a)
		},
	}
	c := &http.Client{Transport: tr}
	for n := 1; n <= 8; n++ {
		req, _ := http.NewRequest("GET", fmt.Sprintf("http://%s/page?n=%d", addr, n), nil)
		req.Header.Set("X-Step", fmt.Sprintf("s%d", n))
		do(c, req)
		time.Sleep(20 * time.Millisecond)
	}
	tr.CloseIdleConnections()
	time.Sleep(200 * time.Millisecond)

	h1 := &http.Client{Transport: &http.Transport{}}
	req, _ := http.NewRequest("GET", "http://"+addr+"/authorize?client_id=app&state=d1", nil)
	do(h1, req)
	req, _ = http.NewRequest("POST", "http://"+addr+"/token", strings.NewReader("grant_type=authorization_code&code=c0ded1&client_id=app"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	do(h1, req)
	h1.CloseIdleConnections()
	time.Sleep(200 * time.Millisecond)
	srv.Close()
}

func do(c *http.Client, req *http.Request) {
	resp, err := c.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}
