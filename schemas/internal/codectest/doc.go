// Package codectest holds what the tests of the contract codecs (the
// change envelope's and the replay checkpoint's) share: [RoundTrip].
package codectest
