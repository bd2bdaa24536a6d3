//go:build ignore

// bench_tshark compares the time the pcap reader with TLS decryption takes
// on a capture with the time tshark takes to decrypt and dissect it with
// the same keys:
//
//	go run bench_tshark.go CAPTURE KEYLOG
//
// Both are run three times; the best time counts.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"time"

	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/pcap"
	"github.com/traceaudit/traceaudit/pcap/tlsdec"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: go run bench_tshark.go CAPTURE KEYLOG")
		os.Exit(2)
	}
	capture, keylog := os.Args[1], os.Args[2]
	st, err := os.Stat(capture)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ours := best(func() error {
		keys, err := tlsdec.ReadKeyLogFiles(keylog)
		if err != nil {
			return err
		}
		f, err := os.Open(capture)
		if err != nil {
			return err
		}
		defer f.Close()
		r, err := pcap.NewReader(f, pcap.Options{Decrypter: tlsdec.NewDecrypter(keys).StreamDecrypter()})
		if err != nil {
			return err
		}
		exs, err := model.ReadAll(r)
		if err == nil && len(exs) == 0 {
			err = fmt.Errorf("no exchanges")
		}
		return err
	})
	theirs := best(func() error {
		// -z io,phs dissects (and so decrypts) every record without
		// printing per packet.
		return exec.Command("tshark", "-r", capture, "-o", "tls.keylog_file:"+keylog, "-q", "-z", "io,phs").Run()
	})
	mb := float64(st.Size()) / 1e6
	fmt.Printf("capture %.1f MB\n", mb)
	fmt.Printf("traceaudit pcap+tlsdec %8.3f s %8.1f MB/s\n", ours.Seconds(), mb/ours.Seconds())
	fmt.Printf("tshark                 %8.3f s %8.1f MB/s\n", theirs.Seconds(), mb/theirs.Seconds())
}

func best(run func() error) time.Duration {
	var min time.Duration
	for i := 0; i < 3; i++ {
		start := time.Now()
		if err := run(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if d := time.Since(start); i == 0 || d < min {
			min = d
		}
	}
	return min
}
