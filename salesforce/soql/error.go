package soql

import (
	"fmt"
	"strings"
)

// The Salesforce errorCode values an [Error] carries.
const (
	// CodeMalformedQuery is a syntax error.
	CodeMalformedQuery = "MALFORMED_QUERY"
	// CodeInvalidField is an unknown field or relationship, or a literal
	// of the wrong type for its field.
	CodeInvalidField = "INVALID_FIELD"
	// CodeInvalidType is an unknown object.
	CodeInvalidType = "INVALID_TYPE"
	// CodeInvalidFilterOperator is an operator the field's type does not
	// support, such as LIKE on a number.
	CodeInvalidFilterOperator = "INVALID_QUERY_FILTER_OPERATOR"
	// CodeQueryTooComplicated is a query nested deeper than [MaxDepth].
	CodeQueryTooComplicated = "QUERY_TOO_COMPLICATED"
)

// Error is a query that Salesforce would reject, with the errorCode and
// message its REST API returns (HTTP 400). Get one from an error with
// errors.As.
type Error struct {
	// Code is the Salesforce errorCode, one of the Code constants.
	Code string
	// Message is the Salesforce-style message without the position, such
	// as "No such column 'Nme' on entity 'Account'".
	Message string
	// Row and Column are the 1-based position of the offending token in
	// the query text, or 0 when unknown (for example for a built query).
	Row, Column int
}

// Error returns the code, message and position on one line, e.g.
// "soql: MALFORMED_QUERY: unexpected token: 'FRM' at Row:1:Column:11".
func (e *Error) Error() string {
	s := "soql: " + e.Code + ": " + e.Message
	if e.Row > 0 {
		s += fmt.Sprintf(" at Row:%d:Column:%d", e.Row, e.Column)
	}
	return s
}

// Report returns the message as Salesforce's REST API writes it for query,
// the text the error came from: the offending line, a caret under the
// column, "ERROR at Row:r:Column:c" and the message, each on its own line.
// Without a position it returns Message.
func (e *Error) Report(query string) string {
	if e.Row <= 0 {
		return e.Message
	}
	lines := strings.Split(query, "\n")
	line := ""
	if e.Row <= len(lines) {
		line = lines[e.Row-1]
	}
	return fmt.Sprintf("\n%s\n%s^\nERROR at Row:%d:Column:%d\n%s",
		line, strings.Repeat(" ", max(e.Column-1, 0)), e.Row, e.Column, e.Message)
}

// Pos is a 1-based position in query text.
type Pos struct{ Row, Column int }

func errAt(code string, p Pos, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Row: p.Row, Column: p.Column}
}
