package main

import (
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/traceaudit/traceaudit/har"
	"github.com/traceaudit/traceaudit/model"
	"github.com/traceaudit/traceaudit/pcap"
	"github.com/traceaudit/traceaudit/saz"
)

// input is one trace to read: a file named on the command line or found in
// a directory, or standard input.
type input struct {
	path     string // as shown in output ("-" for stdin)
	explicit bool   // named on the command line (an unknown format is an error, not a skip)
}

// expandInputs turns the command line's PATHs into the list of traces, in a
// deterministic order: arguments in order, directory contents sorted.
// Directories are walked recursively; hidden entries (".git") are skipped.
func expandInputs(paths []string) ([]input, error) {
	var out []input
	for _, p := range paths {
		if p == "-" {
			out = append(out, input{path: "-", explicit: true})
			continue
		}
		fi, err := os.Stat(p)
		if err != nil {
			// Kept as an input so that it is reported as unreadable (exit 2)
			// while the other inputs are still scanned.
			out = append(out, input{path: p, explicit: true})
			continue
		}
		if !fi.IsDir() {
			out = append(out, input{path: p, explicit: true})
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				found = append(found, path) // reported as that file's error
				return nil
			}
			name := d.Name()
			if path != p && len(name) > 1 && name[0] == '.' {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.Type().IsRegular() {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("walk %s: %w", p, err)
		}
		sort.Strings(found)
		for _, f := range found {
			out = append(out, input{path: f})
		}
	}
	return out, nil
}

// errUnknownFormat marks a file that is none of the formats traceaudit reads.
var errUnknownFormat = errors.New("not a HAR, SAZ, pcap or pcapng file")

// sniffLen is how much of a file the format sniffer looks at.
const sniffLen = 4096

// sniff names the reader to try from the first bytes of a file. It never
// trusts the file name. Captures are the pcap reader's own test (pcap,
// pcapng and ETL, plain or gzip-compressed, see pcap.Sniff); for the rest it
// is lenient on purpose — any zip is handed to the SAZ reader and any JSON
// object to the HAR reader, looking through one gzip or zlib layer — so a
// damaged trace gets that reader's error rather than "not a trace" (a
// directory scan applies the readers' strict tests, see openInput).
func sniff(prefix []byte) model.Format {
	if pcap.Sniff(prefix) {
		return model.FormatPCAP
	}
	if f := sniffPlain(prefix); f != "" {
		return f
	}
	var inner io.Reader
	switch {
	case len(prefix) >= 2 && prefix[0] == 0x1f && prefix[1] == 0x8b:
		zr, err := gzip.NewReader(bytes.NewReader(prefix))
		if err != nil {
			return ""
		}
		inner = zr
	case len(prefix) >= 2 && prefix[0]&0x0f == 8 && (uint16(prefix[0])<<8|uint16(prefix[1]))%31 == 0:
		zr, err := zlib.NewReader(bytes.NewReader(prefix))
		if err != nil {
			return ""
		}
		inner = zr
	default:
		return ""
	}
	buf := make([]byte, 512)
	n, _ := io.ReadFull(inner, buf) // a prefix ends mid-stream: a short read is expected
	if f := sniffPlain(buf[:n]); f == model.FormatHAR {
		return f // a zip inside gzip is not a SAZ
	}
	return ""
}

// sniffPlain: a zip is for the SAZ reader, a JSON object for the HAR reader.
func sniffPlain(p []byte) model.Format {
	if len(p) >= 4 && (bytes.Equal(p[:4], []byte("PK\x03\x04")) || bytes.Equal(p[:4], []byte("PK\x05\x06"))) {
		return model.FormatSAZ
	}
	p = bytes.TrimPrefix(p, []byte("\xef\xbb\xbf"))
	p = bytes.TrimLeft(p, " \t\r\n")
	if len(p) > 0 && p[0] == '{' {
		return model.FormatHAR
	}
	return ""
}

// openedInput is an input opened for reading, with its sniffed format.
type openedInput struct {
	file   *os.File
	size   int64
	format model.Format
	dir    string // directory of the file, for HAR side files
	name   string // the input's name for messages ("-" for stdin)
	close  func()
}

// openInput opens a trace and sniffs its format. Standard input is spooled to
// a temporary file first, since SAZ (zip) needs random access.
func openInput(in input, stdin io.Reader) (*openedInput, error) {
	var f *os.File
	var cleanup func()
	if in.path == "-" {
		tmp, err := os.CreateTemp("", "traceaudit-stdin-*")
		if err != nil {
			return nil, fmt.Errorf("spool stdin: %w", err)
		}
		cleanup = func() { tmp.Close(); os.Remove(tmp.Name()) }
		if _, err := io.Copy(tmp, stdin); err != nil {
			cleanup()
			return nil, fmt.Errorf("spool stdin: %w", err)
		}
		if _, err := tmp.Seek(0, io.SeekStart); err != nil {
			cleanup()
			return nil, fmt.Errorf("spool stdin: %w", err)
		}
		f = tmp
	} else {
		var err error
		f, err = os.Open(in.path)
		if err != nil {
			return nil, err
		}
		cleanup = func() { f.Close() }
	}
	fi, err := f.Stat()
	if err != nil {
		cleanup()
		return nil, err
	}
	if fi.IsDir() {
		cleanup()
		return nil, errors.New("is a directory")
	}
	prefix := make([]byte, sniffLen)
	n, err := f.ReadAt(prefix, 0)
	if err != nil && err != io.EOF {
		cleanup()
		return nil, err
	}
	format := sniff(prefix[:n])
	if !in.explicit {
		// In a directory, a JSON or zip file that is not a trace (an
		// expectations file, a zipped report) is skipped, not an error.
		switch {
		case format == model.FormatHAR && !har.Sniff(prefix[:n]):
			format = ""
		case format == model.FormatSAZ && !saz.Is(f, fi.Size()):
			format = ""
		}
	}
	if format == "" {
		cleanup()
		if n == 0 {
			return nil, fmt.Errorf("%w (empty file)", errUnknownFormat)
		}
		return nil, errUnknownFormat
	}
	dir := "."
	if in.path != "-" {
		dir = filepath.Dir(in.path)
	}
	return &openedInput{file: f, size: fi.Size(), format: format, dir: dir, name: in.path, close: cleanup}, nil
}

func isUnknownFormat(err error) bool { return errors.Is(err, errUnknownFormat) }
