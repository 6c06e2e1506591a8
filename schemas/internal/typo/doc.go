// Package typo finds what a mistyped name was meant to be, for the "did
// you mean …?" hints of the mapping file and the services' configuration:
// [Distance] is the edit distance of two names, [Closest] the candidate
// nearest a word.
package typo
