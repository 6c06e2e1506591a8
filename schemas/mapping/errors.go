package mapping

import (
	"errors"
	"fmt"

	"github.com/sfsync/sfsync/schemas/internal/lines"
)

// ErrInvalid is wrapped by every error that reports a problem in a mapping
// file, for errors.Is.
var ErrInvalid = errors.New("invalid mapping")

// Position is a place in a mapping file. Line and Column count from 1; 0
// means unknown.
type Position struct {
	File   string
	Line   int
	Column int
}

// String returns file:line:column, leaving out unknown parts.
func (p Position) String() string {
	s := p.File
	if p.Line > 0 {
		s += fmt.Sprintf(":%d", p.Line)
		if p.Column > 0 {
			s += fmt.Sprintf(":%d", p.Column)
		}
	}
	return s
}

// Problem is one thing wrong in a mapping file.
type Problem struct {
	Pos     Position
	Message string
}

// String returns the problem as a compiler would: file:line:column: message.
func (p Problem) String() string {
	return p.Pos.String() + ": " + p.Message
}

// ValidationError lists every problem found in a mapping file, in file
// order. It wraps [ErrInvalid].
type ValidationError struct {
	Problems []Problem
}

// Error returns one problem per line.
func (e *ValidationError) Error() string {
	return lines.Join(e.Problems)
}

// Unwrap returns [ErrInvalid].
func (e *ValidationError) Unwrap() error { return ErrInvalid }
