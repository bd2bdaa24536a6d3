// Command traceaudit reads HAR, Fiddler SAZ and packet-capture traces of
// OAuth 2.0 / OpenID Connect sign-ins, normalizes them into events and flags
// what went wrong, offline. See README.md and the CLI contract.
package main

import (
	"io"
	"os"
	"strconv"
	"time"

	// First, before gopacket/layers' init fills its tables: see the package.
	_ "github.com/traceaudit/traceaudit/internal/hugebss"
	"github.com/traceaudit/traceaudit/report"
)

func main() {
	env := environment{
		stdin:  os.Stdin,
		stdout: os.Stdout,
		stderr: os.Stderr,
		getenv: os.Getenv,
		isTerminal: func(f any) bool {
			file, ok := f.(*os.File)
			return ok && isTerminal(file)
		},
		columns: terminalColumns,
	}
	os.Exit(run(os.Args[1:], env))
}

// environment is everything run touches outside its arguments, so tests can
// drive the whole CLI in-process.
type environment struct {
	stdin      io.Reader
	stdout     io.Writer
	stderr     io.Writer
	getenv     func(string) string
	isTerminal func(any) bool
	// columns is the width of the terminal its argument is, 0 when it is
	// not one (nil: never a terminal).
	columns func(any) int
	// keepAllExchanges hands the rules every exchange instead of only those
	// they can read (see retainer): the slow path, for the test that checks
	// the two give the same output.
	keepAllExchanges bool
	// poisonBodies has the HAR and capture readers overwrite the body
	// buffers handed back to them (see readExchanges), so that a test comparing with the
	// reference path sees any use of a body after it was handed back.
	poisonBodies bool
	// wholeBodies decodes every body a reader would decode without
	// options.skipResponse: the reference path its test compares with.
	wholeBodies bool
	// now is the clock (nil: time.Now); the bundle's manifest records it.
	now func() time.Time
	// mem is the trace commands' memory limit (nil: none), told when a
	// trace is being read.
	mem *memLimit
}

// isTerminal reports whether f is a terminal: a character device that
// has a window size (/dev/null is a character device too, and must not get
// colours or progress).
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	return terminalColumns(f) > 0 || !canMeasureTerminal
}

// tableWidth is the width the table views fit: COLUMNS, then the width of
// the terminal stdout is, then report.DefaultWidth (not a terminal: a pipe
// or a file).
func tableWidth(env environment, toStdout bool) int {
	if n, err := strconv.Atoi(env.getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	if toStdout && env.columns != nil {
		if n := env.columns(env.stdout); n > 0 {
			return n
		}
	}
	return report.DefaultWidth
}
