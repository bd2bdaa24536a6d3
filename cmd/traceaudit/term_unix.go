//go:build unix

package main

import (
	"os"

	"golang.org/x/sys/unix"
)

// canMeasureTerminal: terminalColumns works on this system.
const canMeasureTerminal = true

// terminalColumns is the width of the terminal f is, or 0 when f is not a
// terminal.
func terminalColumns(f any) int {
	file, ok := f.(*os.File)
	if !ok {
		return 0
	}
	ws, err := unix.IoctlGetWinsize(int(file.Fd()), unix.TIOCGWINSZ)
	if err != nil {
		return 0
	}
	return int(ws.Col)
}
