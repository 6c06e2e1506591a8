// Package report renders drift verify results for people (a terminal
// table) and programs (JSON), and turns them into the exit status of
// `sfsync-reconciler verify`.
package report
