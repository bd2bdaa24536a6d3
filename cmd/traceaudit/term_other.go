//go:build !unix

package main

// canMeasureTerminal: terminalColumns cannot tell a terminal here.
const canMeasureTerminal = false

// terminalColumns is 0 where the terminal size is not read: the table
// assumes report.DefaultWidth unless COLUMNS says otherwise.
func terminalColumns(any) int { return 0 }
