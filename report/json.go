package report

import (
	"encoding/json"
	"fmt"
	"io"
)

// JSONWriter writes the canonical report: one indented JSON document.
// encoding/json escapes <, > and & and replaces invalid UTF-8, so the
// output is safe to embed and always valid JSON.
type JSONWriter struct{}

var _ Writer = JSONWriter{}

func (JSONWriter) Write(w io.Writer, r *Report) error {
	enc := json.NewEncoder(terminalSafeJSON{w})
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("report: writing json: %w", err)
	}
	return nil
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
