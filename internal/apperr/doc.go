// Package apperr defines Hearth's one error type. Every error that crosses a
// package boundary carries a Code that adapters map to a transport status (HTTP,
// CLI exit code) and a Message that is safe to show to the person who caused it.
// The wrapped Err is for the operator's log only.
package apperr
