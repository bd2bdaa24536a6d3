package report

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// ErrFormat reports an output format this package does not write.
var ErrFormat = errors.New("report: unknown format")

// Kind is what a command outputs: the scan report, or the events or the
// exchanges listing.
type Kind string

const (
	KindScan      Kind = "scan"
	KindEvents    Kind = "events"
	KindExchanges Kind = "exchanges"
)

// Formats lists the formats a command's output can be written in, in the
// order the CLI's help shows them. This is the one list of format names.
func Formats(kind Kind) []string {
	if kind == KindScan {
		return []string{"table", "json", "jsonl", "sarif", "markdown", "html", "csv"}
	}
	return []string{"table", "json", "jsonl"}
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
	case "markdown":
		return MarkdownWriter{}, nil
	case "html":
		return HTMLWriter{}, nil
	case "csv":
		return CSVWriter{}, nil
	}
	return nil, fmt.Errorf("%w %q (want one of %s)", ErrFormat, format, strings.Join(Formats(KindScan), ", "))
}

// Options configure an Output; the caller decides them.
type Options struct {
	// Color adds ANSI colours to the scan table.
	Color bool
	Tool  Tool
	// Rules describes the rules that ran (scan only).
	Rules []RuleInfo
	// Width is the terminal's width for the table views (0: DefaultWidth).
	Width int
	// Diag receives what is not a result in the table views — notes,
	// unreadable files, the summary — so stdout carries only results. Nil
	// writes them to the output.
	Diag io.Writer
}

// The listing forms of the formats that can write events and exchanges:
// the table and jsonl write each file as it finishes, json one document.
type listingStreamer interface {
	writeListing(w io.Writer, kind Kind, l *Listing) error
}

type listingDocument interface {
	writeListings(w io.Writer, kind Kind, tool Tool, ls []Listing) error
}

// Output writes one command's output in one format. The CLI hands it each
// input file's result in input order (File for scan, Listing for events and
// exchanges) and calls Close once. Streaming forms (jsonl, and the listing
// tables) write each file at once so memory stays bounded by the files in
// flight; documents (json, sarif, markdown, html, the scan table with its
// summary) are written at Close.
type Output struct {
	w      *bufio.Writer
	kind   Kind
	writer Writer
	opts   Options

	rep      Report    // scan documents
	listings []Listing // listing documents
	// headed: the CSV header row is written.
	headed bool
}

// NewOutput returns the Output of kind in format, writing to w. It never
// closes w.
func NewOutput(w io.Writer, kind Kind, format string, opts Options) (*Output, error) {
	if !slices.Contains(Formats(kind), format) {
		return nil, fmt.Errorf("%w %q for %s (want one of %s)", ErrFormat, format, kind, strings.Join(Formats(kind), ", "))
	}
	wr, err := NewWriter(format, opts.Color)
	if err != nil {
		return nil, err
	}
	if tw, ok := wr.(TableWriter); ok {
		tw.Width, tw.Diag = opts.Width, opts.Diag
		wr = tw
	}
	o := &Output{w: bufio.NewWriterSize(w, 64<<10), kind: kind, writer: wr, opts: opts}
	o.rep = Report{SchemaVersion: SchemaVersion, Tool: opts.Tool, Files: []File{}, Rules: opts.Rules}
	return o, nil
}

// File adds one file of the scan report.
func (o *Output) File(f File) error {
	if o.kind != KindScan {
		return fmt.Errorf("report: a %s output holds listings, not scan files", o.kind)
	}
	if jl, ok := o.writer.(JSONLWriter); ok {
		one := Report{Files: []File{f}}
		Finalize(&one)
		return jl.WriteFile(o.w, &one.Files[0])
	}
	if cw, ok := o.writer.(CSVWriter); ok {
		if !o.headed {
			o.headed = true
			if err := cw.WriteHeader(o.w); err != nil {
				return err
			}
		}
		one := Report{Files: []File{f}}
		Finalize(&one)
		return cw.WriteFile(o.w, &one.Files[0])
	}
	o.rep.Files = append(o.rep.Files, f)
	return nil
}

// SetCase records how scan --case read the inputs; the documents carry it.
func (o *Output) SetCase(c *Case) { o.rep.Case = c }

// Listing adds one file of the events or exchanges listing.
func (o *Output) Listing(l Listing) error {
	if o.kind == KindScan {
		return errors.New("report: a scan output holds files, not listings")
	}
	if s, ok := o.writer.(listingStreamer); ok {
		return s.writeListing(o.w, o.kind, &l)
	}
	o.listings = append(o.listings, l)
	return nil
}

// Close writes the documents and flushes.
func (o *Output) Close() error {
	var err error
	switch {
	case o.kind == KindScan:
		switch cw := o.writer.(type) {
		case JSONLWriter:
		case CSVWriter:
			if !o.headed { // no file: the header alone
				o.headed = true
				err = cw.WriteHeader(o.w)
			}
		default:
			Finalize(&o.rep)
			err = o.writer.Write(o.w, &o.rep)
		}
	default:
		if d, ok := o.writer.(listingDocument); ok {
			err = d.writeListings(o.w, o.kind, o.opts.Tool, o.listings)
		}
	}
	if err != nil {
		return err
	}
	return o.w.Flush()
}
