//go:build ignore

// mkfixture converts a HAR file into a SAZ with har2saz:
//
//	go run ./saz/internal/har2saz/mkfixture.go IN.har OUT.saz
package main

import (
	"fmt"
	"os"

	"github.com/traceaudit/traceaudit/saz/internal/har2saz"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: mkfixture IN.har OUT.saz")
		os.Exit(2)
	}
	har, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	saz, err := har2saz.Convert(har)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := os.WriteFile(os.Args[2], saz, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
