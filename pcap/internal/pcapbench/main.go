// Command pcapbench writes the synthetic capture bench/pcap.sh measures,
// and reads a capture the way traceaudit does, printing the count.
//
//	pcapbench -o big.pcap [-conns 2000]
//	pcapbench -o customer.pcap -conns 444 -customer
//	pcapbench -read big.pcap [-skip]
//	pcapbench -read big.pcap -floor start|read|walk|decode|asm
//	pcapbench -read big.pcap -floor asm -shards 2
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/pcap"
	"github.com/traceaudit/traceaudit/pcap/internal/capgen"
)

func readCapture(name string, skip bool) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	o := pcap.Options{Name: name}
	if skip {
		o.SkipBody = model.CarriesNoOAuth
	}
	r, err := pcap.NewReader(f, o)
	if err != nil {
		return err
	}
	n := 0
	for {
		_, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		n++
	}
	notes := r.Notes()
	fmt.Printf("requests %d notes %d\n", n, len(notes))
	return nil
}

func main() {
	out := flag.String("o", "big.pcap", "output file")
	read := flag.String("read", "", "read this capture and print its request count")
	skip := flag.Bool("skip", false, "with -read: skip the bodies scan skips (images, scripts, styles, fonts)")
	floorStage := flag.String("floor", "", "with -read: only start, read the bytes, walk the records, decode the layers too, or reassemble too (start, read, walk, decode, asm)")
	shards := flag.Int("shards", 0, "with -floor asm: read and route packets on one goroutine, reassemble on this many (see floorShards)")
	cfg := capgen.DefaultConfig
	flag.IntVar(&cfg.Conns, "conns", 2000, "connections")
	flag.IntVar(&cfg.PerConn, "per-conn", cfg.PerConn, "exchanges per connection")
	flag.IntVar(&cfg.BodyBytes, "body", cfg.BodyBytes, "response body bytes")
	flag.BoolVar(&cfg.Customer, "customer", false, "a customer-like capture: a sign-in, then compressed scripts, JSON, images and fonts (-body unused)")
	flag.IntVar(&cfg.Concurrent, "concurrent", cfg.Concurrent, "connections open at once, interleaved packet by packet")
	flag.Parse()
	if *read != "" && *floorStage != "" {
		run := func() error { return floor(*read, *floorStage) }
		if *shards > 0 {
			if *floorStage != "asm" {
				fmt.Fprintln(os.Stderr, "-shards goes with -floor asm")
				os.Exit(2)
			}
			run = func() error { return floorShards(*read, *shards) }
		}
		if err := run(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	if *read != "" {
		if err := readCapture(*read, *skip); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
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
