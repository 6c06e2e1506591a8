// Package lines writes a list of problems as the text of one error, one
// problem a line: [Join] serves the ValidationError of the mapping file
// and that of the services' configuration, whose problems differ in how
// they name their place but read the same way once written.
package lines
