package report

import (
	"errors"
	"fmt"
	"strings"
)

// ErrFormat reports an output format this package does not write.
var ErrFormat = errors.New("report: unknown format")

// Formats lists the formats NewWriter knows, in the order the CLI's help
// shows them.
func Formats() []string {
	return []string{"table", "json", "jsonl", "sarif", "markdown", "html"}
}

// NewWriter returns the writer for a --format value. color only affects
// the table; the caller decides it (stdout is a terminal and NO_COLOR is
// unset).
func NewWriter(format string, color bool) (Writer, error) {
	switch format {
	case "table":
		return TableWriter{Color: color}, nil
	case "json":
		return JSONWriter{}, nil
	case "jsonl":
		return JSONLWriter{}, nil
	case "sarif":
		return SARIFWriter{}, nil
	case "markdown", "md":
		return MarkdownWriter{}, nil
	case "html":
		return HTMLWriter{}, nil
	}
	return nil, fmt.Errorf("%w %q (want one of %s)", ErrFormat, format, strings.Join(Formats(), ", "))
}
