package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// JSONWriter writes the canonical report: one indented JSON document.
// encoding/json escapes <, > and & and replaces invalid UTF-8, so the
// output is safe to embed and always valid JSON.
//
// The document is streamed: each file's findings and timeline steps are
// encoded one at a time, so no copy of the whole document (compact, then
// indented) is held in memory. The bytes are those of encoding the Report
// at once with Encoder.SetIndent("", "  "): JSON encoding is
// compositional, and an element indented with its depth as prefix is the
// same text the whole document's indentation gives it.
type JSONWriter struct{}

var _ Writer = JSONWriter{}

func (JSONWriter) Write(w io.Writer, r *Report) error {
	if err := writeJSONReport(terminalSafeJSON{w}, r); err != nil {
		return fmt.Errorf("report: writing json: %w", err)
	}
	return nil
}

// jsonIndent is the indentation of one nesting level.
const jsonIndent = "  "

// jsonChunks encodes values indented at a given depth into one reused
// buffer and writes them.
type jsonChunks struct {
	w   io.Writer
	buf bytes.Buffer
	// encs holds one encoder per depth: an encoder keeps its indentation
	// buffer between values.
	encs []*json.Encoder
	// step is writeStep's buffer.
	step []byte
}

// encode returns v indented as if it stood at depth levels of nesting
// (its first line unindented), without the encoder's trailing newline.
// The result is valid until the next call.
func (c *jsonChunks) encode(v any, depth int) ([]byte, error) {
	c.buf.Reset()
	for len(c.encs) <= depth {
		enc := json.NewEncoder(&c.buf)
		enc.SetIndent(indentOf(len(c.encs)), jsonIndent)
		c.encs = append(c.encs, enc)
	}
	enc := c.encs[depth]
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(c.buf.Bytes(), []byte("\n")), nil
}

func (c *jsonChunks) write(b []byte) error {
	_, err := c.w.Write(b)
	return err
}

func indentOf(depth int) string {
	return string(bytes.Repeat([]byte(jsonIndent), depth))
}

// splitAt cuts doc, the indented encoding of an object at depth, at its
// member key whose value is the empty array: it returns what precedes the
// value and what follows it. Only a member of this object starts a line
// with exactly this indentation followed by the key (a newline inside a
// string is escaped), so the cut is unambiguous.
func splitAt(doc []byte, depth int, key string) (head, tail []byte, ok bool) {
	mark := []byte("\n" + indentOf(depth+1) + `"` + key + `": []`)
	i := bytes.Index(doc, mark)
	if i < 0 {
		return nil, nil, false
	}
	cut := i + len(mark) - len("[]")
	return doc[:cut], doc[cut+len("[]"):], true
}

// writeArray writes a non-empty array member's value, the member standing
// in an object at depth, one element at a time.
func writeArray[T any](c *jsonChunks, elems []T, depth int, each func(c *jsonChunks, v *T, depth int) error) error {
	lead := "\n" + indentOf(depth+2)
	open, next := []byte("["+lead), []byte(","+lead)
	for i := range elems {
		sep := next
		if i == 0 {
			sep = open
		}
		if err := c.write(sep); err != nil {
			return err
		}
		if err := each(c, &elems[i], depth+2); err != nil {
			return err
		}
	}
	return c.write([]byte("\n" + indentOf(depth+1) + "]"))
}

// writeValue writes one element encoded at depth.
func writeValue[T any](c *jsonChunks, v *T, depth int) error {
	b, err := c.encode(v, depth)
	if err != nil {
		return err
	}
	return c.write(b)
}

func writeJSONReport(w io.Writer, r *Report) error {
	c := &jsonChunks{w: w}
	if len(r.Files) == 0 {
		// Nothing large: the document at once ("files" may be null).
		b, err := c.encode(r, 0)
		if err != nil {
			return err
		}
		return c.write(append(b, '\n'))
	}
	shell := *r
	shell.Files = []File{}
	doc, err := c.encode(&shell, 0)
	if err != nil {
		return err
	}
	head, tail, ok := splitAt(doc, 0, "files")
	if !ok {
		return fmt.Errorf("no files member in the report's encoding")
	}
	// The shell is small; keep its tail before the buffer is reused.
	tail = bytes.Clone(tail)
	if err := c.write(head); err != nil {
		return err
	}
	if err := writeArray(c, r.Files, 0, writeJSONFile); err != nil {
		return err
	}
	return c.write(append(tail, '\n'))
}

// writeJSONFile writes one file object at depth, its findings and timeline
// one element at a time.
func writeJSONFile(c *jsonChunks, f *File, depth int) error {
	if len(f.Findings) == 0 && len(f.Timeline) == 0 {
		return writeValue(c, f, depth)
	}
	// File.MarshalJSON writes no findings as [] and leaves out an empty
	// timeline; the timeline member follows findings.
	shell := *f
	shell.Findings, shell.Timeline = nil, nil
	doc, err := c.encode(shell, depth)
	if err != nil {
		return err
	}
	head, tail, ok := splitAt(doc, depth, "findings")
	if !ok {
		return fmt.Errorf("no findings member in a file's encoding")
	}
	tail = bytes.Clone(tail)
	if err := c.write(head); err != nil {
		return err
	}
	if len(f.Findings) == 0 {
		err = c.write([]byte("[]"))
	} else {
		err = writeArray(c, f.Findings, depth, writeValue[Finding])
	}
	if err != nil {
		return err
	}
	if len(f.Timeline) > 0 {
		if err := c.write([]byte(",\n" + indentOf(depth+1) + `"timeline": `)); err != nil {
			return err
		}
		if err := writeTimeline(c, f.Timeline, depth); err != nil {
			return err
		}
	}
	return c.write(tail)
}

// Timelines of at least timelineSplitMin steps are encoded in chunks of
// timelineChunk steps by two goroutines: with tens of thousands of steps,
// encoding them was most of what a scan did after reading, on one core.
const (
	timelineSplitMin = 2048
	timelineChunk    = 256
)

// writeTimeline writes a timeline as writeArray(c, steps, depth,
// writeValue[TimelineEvent]) does, the same bytes (each step through
// appendStep): steps are plain data,
// each encoded alone, so a chunk of them can be encoded on another
// goroutine and written in its turn. A second goroutine encodes every
// other chunk, at most one chunk ahead of the writer. The chunks' buffers
// are reused once written: a new one for each of the 254 chunks of a
// 65,000-step timeline allocated 90 MB per scan, a fifth of all a scan of
// that capture allocated.
func writeTimeline(c *jsonChunks, steps []TimelineEvent, depth int) error {
	if len(steps) < timelineSplitMin {
		return writeArray(c, steps, depth, writeStep)
	}
	chunks := (len(steps) + timelineChunk - 1) / timelineChunk
	type encoded struct {
		b   []byte
		err error
	}
	ahead := make(chan encoded, 1)
	// back returns the second goroutine's buffers once written: one may
	// wait in ahead while it fills the next.
	back := make(chan []byte, 2)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		other := &jsonChunks{}
		for k := 1; k < chunks; k += 2 {
			var buf []byte
			select {
			case buf = <-back:
			default:
			}
			b, err := other.encodeSteps(buf[:0], steps, k, depth)
			select {
			case ahead <- encoded{b, err}:
			case <-stop:
				return
			}
		}
	}()
	defer func() { close(stop); <-done }()
	var mine []byte
	for k := 0; k < chunks; k++ {
		var e encoded
		if k%2 == 0 {
			e.b, e.err = c.encodeSteps(mine[:0], steps, k, depth)
			mine = e.b
		} else {
			e = <-ahead
		}
		if e.err != nil {
			return e.err
		}
		if err := c.write(e.b); err != nil {
			return err
		}
		if k%2 == 1 {
			// Written (an io.Writer keeps nothing of what it is given):
			// the second goroutine may fill it again.
			select {
			case back <- e.b:
			default:
			}
		}
	}
	return c.write([]byte("\n" + indentOf(depth+1) + "]"))
}

// encodeSteps appends chunk k of a timeline to out as writeArray writes it:
// each step after its separator ("[" and a new line before the first step,
// "," and a new line before the others).
func (c *jsonChunks) encodeSteps(out []byte, steps []TimelineEvent, k, depth int) ([]byte, error) {
	lead := "\n" + indentOf(depth+2)
	part := steps[k*timelineChunk : min((k+1)*timelineChunk, len(steps))]
	for i := range part {
		if k == 0 && i == 0 {
			out = append(out, "["+lead...)
		} else {
			out = append(out, ","+lead...)
		}
		out = appendStep(out, &part[i], depth+2)
	}
	return out, nil
}

// writeStep writes one timeline step encoded at depth, as
// writeValue[TimelineEvent] does.
func writeStep(c *jsonChunks, v *TimelineEvent, depth int) error {
	c.step = appendStep(c.step[:0], v, depth)
	return c.write(c.step)
}

// JSONLWriter writes one file object per line. The CLI calls WriteFile as
// each file finishes; Write writes a whole report's files at once.
type JSONLWriter struct{}

var _ Writer = JSONLWriter{}

func (j JSONLWriter) Write(w io.Writer, r *Report) error {
	for i := range r.Files {
		if err := j.WriteFile(w, &r.Files[i]); err != nil {
			return err
		}
	}
	return nil
}

// WriteFile writes one file object and a newline.
func (JSONLWriter) WriteFile(w io.Writer, f *File) error {
	// Encoder.Encode writes compact JSON and one trailing newline; JSON
	// escapes any newline inside strings, so one object is one line.
	if err := json.NewEncoder(terminalSafeJSON{w}).Encode(f); err != nil {
		return fmt.Errorf("report: writing jsonl: %w", err)
	}
	return nil
}
