// Package sffaketest holds what tests of the Salesforce clients share
// about an emulated org: [Start] runs an [sffake.Server] for one test,
// and [Invoice] is a custom object with a field of every scalar type.
package sffaketest
