package redact

import (
	"io"
	"mime/quotedprintable"
	"strings"
)

// maxQPSection bounds a quoted-printable section decoded: a part holding a
// credential is small; a larger one is left to the passes that read the
// text as written.
const maxQPSection = 4 << 20

// qpSections redacts the content of MIME parts and messages sent
// quoted-printable (a header block holding "Content-Transfer-Encoding:
// quoted-printable", then a blank line): an encoder breaks lines longer
// than 76 bytes with a soft line break ("=" at the end of the line), which
// splits a long token in two halves no pass would read as one, and writes
// '=' as "=3D", which hides a pair. The content, up to the next boundary
// line ("--…") or the end, is decoded and redacted (by the part's name when
// a Content-Disposition gives one, as free text otherwise); when that
// changed it, it is written decoded and its Content-Transfer-Encoding
// becomes 8bit.
func (r *redactor) qpSections(s string) string {
	if indexFoldASCII(s, "quoted-printable") < 0 {
		return s
	}
	sp := replaceSpans{s: s}
	for i := 0; i < len(s); {
		j := indexFoldASCII(s[i:], "content-transfer-encoding:")
		if j < 0 {
			break
		}
		at := i + j
		eol := strings.IndexByte(s[at:], '\n')
		if eol < 0 {
			break
		}
		i = at + eol
		if indexFoldASCII(s[at:at+eol], "quoted-printable") < 0 || at < sp.last {
			continue
		}
		// The header block: from the line after the last boundary (or
		// the start) to the blank line after this field.
		blockStart := strings.LastIndex(s[:at], "\n--") + 1
		hdrEnd, sepLen := strings.Index(s[at:], "\r\n\r\n"), 4
		if nn := strings.Index(s[at:], "\n\n"); nn >= 0 && (hdrEnd < 0 || nn < hdrEnd) {
			hdrEnd, sepLen = nn, 2
		}
		if hdrEnd < 0 {
			break
		}
		start := at + hdrEnd + sepLen
		end := len(s)
		if k := strings.Index(s[start:], "\n--"); k >= 0 {
			end = start + k
			if end > start && s[end-1] == '\r' {
				end--
			}
		}
		i = end
		if end-start > maxQPSection {
			continue
		}
		enc := s[start:end]
		raw, err := io.ReadAll(quotedprintable.NewReader(strings.NewReader(enc)))
		if err != nil {
			continue // not quoted-printable after all: read as written
		}
		dec := string(raw)
		var red string
		if name := partName(s[blockStart:start]); name != "" {
			red = r.value(name, dec, "", 0)
		} else {
			red = r.free(dec, 0)
		}
		if red == dec {
			continue
		}
		// Written decoded, its encoding named so: encoded again, the
		// passes that follow would read "=3D" as part of a value.
		q := at + indexFoldASCII(s[at:at+eol], "quoted-printable")
		sp.replace(q, q+len("quoted-printable"), "8bit")
		sp.replace(start, end, red)
	}
	return sp.result()
}

// partName is the name a MIME part's header block gives it in its
// Content-Disposition (name="…"), "" when none.
func partName(block string) string {
	k := indexFoldASCII(block, "content-disposition:")
	if k < 0 {
		return ""
	}
	line, _, _ := strings.Cut(block[k:], "\n")
	n := indexFoldASCII(line, "name=")
	if n < 0 || n > 0 && alnum(line[n-1]) {
		return ""
	}
	return strings.Trim(strings.TrimSpace(strings.Split(line[n+5:], ";")[0]), `"`)
}
