// Command pcapbench writes the synthetic capture bench/pcap.sh measures.
//
//	pcapbench -o big.pcap [-conns 20000]
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"

	"github.com/traceaudit/traceaudit/pcap/internal/capgen"
)

func main() {
	out := flag.String("o", "big.pcap", "output file")
	cfg := capgen.DefaultConfig
	flag.IntVar(&cfg.Conns, "conns", 8000, "connections")
	flag.IntVar(&cfg.PerConn, "per-conn", cfg.PerConn, "exchanges per connection")
	flag.IntVar(&cfg.BodyBytes, "body", cfg.BodyBytes, "response body bytes")
	flag.Parse()
	f, err := os.Create(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	st, err := capgen.Write(w, cfg)
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = f.Close()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("%s: %d packets, %d exchanges, %d bytes\n", *out, st.Packets, st.Exchanges, st.Bytes)
}
