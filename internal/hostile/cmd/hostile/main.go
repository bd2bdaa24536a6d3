// Command hostile writes the hostile-input corpus into a directory, to scan
// by hand: go run ./internal/hostile/cmd/hostile DIR && traceaudit scan DIR
package main

import (
	"fmt"
	"os"

	"github.com/traceaudit/traceaudit/internal/hostile"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: hostile DIR")
		os.Exit(2)
	}
	if err := os.MkdirAll(os.Args[1], 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cases, err := hostile.Write(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, c := range cases {
		fmt.Printf("%-28s %s\n", c.Name, c.Why)
	}
}
