package main

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/traceaudit/traceaudit/model"
)

// limitFlag is the flag that raises a reader bound: every model.Limit has
// one, named after it (see addLimitFlags).
func limitFlag(l model.Limit) string { return "--limit-" + string(l) }

// limitHint returns " (raise it with --flag)" for a configurable limit, or
// "" for none.
func limitHint(l model.Limit) string {
	if l == "" {
		return ""
	}
	return fmt.Sprintf(" (raise it with %s)", limitFlag(l))
}

// withLimitHint names the flag that raises the limit an error hit.
func withLimitHint(err error) error {
	var le *model.LimitError
	if errors.As(err, &le) {
		return fmt.Errorf("%w%s", err, limitHint(le.Limit))
	}
	return err
}

// maxNotesPerFile keeps a hostile file's notes (one per damaged member or
// connection) from flooding the output; the rest are counted by kind.
const maxNotesPerFile = 200

// finishNotes adds limit hints and caps the number of notes.
func finishNotes(notes []model.Note) []model.Note {
	for i := range notes {
		notes[i].Message += limitHint(notes[i].Limit)
	}
	if len(notes) <= maxNotesPerFile {
		return notes
	}
	rest := map[model.NoteKind]int{}
	for _, n := range notes[maxNotesPerFile:] {
		rest[n.Kind]++
	}
	kinds := make([]string, 0, len(rest))
	for k := range rest {
		kinds = append(kinds, string(k))
	}
	sort.Strings(kinds)
	var parts []string
	for _, k := range kinds {
		parts = append(parts, fmt.Sprintf("%d %s", rest[model.NoteKind(k)], k))
	}
	out := append(notes[:maxNotesPerFile:maxNotesPerFile], model.Note{
		Kind:    model.NoteLimit,
		Message: fmt.Sprintf("%d more notes not shown (%s)", len(notes)-maxNotesPerFile, strings.Join(parts, ", ")),
	})
	return out
}
