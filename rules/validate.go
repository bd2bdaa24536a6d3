package rules

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"unicode"
)

var idPattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`) })

// Validate checks a rule list: unique kebab-case IDs, a lower-case title of at
// most 60 characters without final period, a non-empty Doc, a known severity
// and a Run function.
func Validate(rs []*Rule) error {
	var errs []error
	seen := map[string]bool{}
	for i, r := range rs {
		if r == nil {
			errs = append(errs, fmt.Errorf("rules: rule %d is nil", i))
			continue
		}
		if !idPattern().MatchString(r.ID) {
			errs = append(errs, fmt.Errorf("rules: %q: id is not kebab-case", r.ID))
		}
		if seen[r.ID] {
			errs = append(errs, fmt.Errorf("rules: %q: duplicate id", r.ID))
		}
		seen[r.ID] = true
		switch {
		case r.Title == "":
			errs = append(errs, fmt.Errorf("rules: %q: empty title", r.ID))
		case len(r.Title) > 60:
			errs = append(errs, fmt.Errorf("rules: %q: title longer than 60 characters", r.ID))
		case strings.HasSuffix(r.Title, "."):
			errs = append(errs, fmt.Errorf("rules: %q: title ends with a period", r.ID))
		case capitalized(strings.Fields(r.Title)[0]):
			errs = append(errs, fmt.Errorf("rules: %q: title starts with a capital", r.ID))
		}
		if len(strings.TrimSpace(r.Doc)) < 80 {
			errs = append(errs, fmt.Errorf("rules: %q: doc missing or too short", r.ID))
		}
		if r.Severity < Info || r.Severity > Error {
			errs = append(errs, fmt.Errorf("rules: %q: unknown severity", r.ID))
		}
		if r.Run == nil {
			errs = append(errs, fmt.Errorf("rules: %q: no Run function", r.ID))
		}
	}
	return errors.Join(errs...)
}

// capitalized reports a word like "Code" (but not an acronym like "PKCE").
func capitalized(w string) bool {
	rs := []rune(w)
	if len(rs) == 0 || !unicode.IsUpper(rs[0]) {
		return false
	}
	for _, r := range rs[1:] {
		if unicode.IsLower(r) {
			return true
		}
	}
	return false
}
