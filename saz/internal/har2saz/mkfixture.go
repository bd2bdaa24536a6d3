//go:build ignore

// mkfixture converts HAR files into SAZ archives with har2saz.
//
//	go run ./saz/internal/har2saz/mkfixture.go IN.har OUT.saz
//	go run ./saz/internal/har2saz/mkfixture.go -lab testdata/lab/scenarios saz/testdata/lab
//
// The second form converts every <scenario>/trace.har under the lab
// directory into <out>/<scenario>.saz.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/traceaudit/traceaudit/saz/internal/har2saz"
)

func main() {
	var err error
	switch {
	case len(os.Args) == 4 && os.Args[1] == "-lab":
		err = lab(os.Args[2], os.Args[3])
	case len(os.Args) == 3:
		err = convert(os.Args[1], os.Args[2])
	default:
		fmt.Fprintln(os.Stderr, "usage: mkfixture IN.har OUT.saz | mkfixture -lab SCENARIOS OUTDIR")
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func lab(scenarios, out string) error {
	hars, err := filepath.Glob(filepath.Join(scenarios, "*", "trace.har"))
	if err != nil {
		return err
	}
	if len(hars) == 0 {
		return fmt.Errorf("no */trace.har under %s", scenarios)
	}
	for _, h := range hars {
		name := filepath.Base(filepath.Dir(h))
		if err := convert(h, filepath.Join(out, name+".saz")); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

func convert(in, out string) error {
	har, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	saz, err := har2saz.Convert(har)
	if err != nil {
		return err
	}
	return os.WriteFile(out, saz, 0o644)
}
