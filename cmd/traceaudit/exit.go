package main

import (
	"errors"
	"fmt"
)

// Exit codes of the CLI contract.
const (
	exitOK       = 0 // ran; no finding at or above --fail-on
	exitFindings = 1 // ran; at least one finding at or above --fail-on
	exitTrouble  = 2 // usage error, or an input could not be read at all
)

// usageError marks a mistake in the command line: exit 2 with a hint.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

func isUsage(err error) bool {
	var u *usageError
	return errors.As(err, &u)
}
