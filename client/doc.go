// Package client is a typed Go client of Hearth's JSON API (docs/api.md):
// what the hearth command line, the virtual devices, the tests and people's
// own scripts use to talk to a Hearth server.
//
// A Client acts as one party: an account through an API token (WithToken),
// or a paired device through its id and credential (WithDevice). Every call
// takes a context and is bounded by the client's timeout; answers larger
// than the client's limit are refused rather than read. An error the server
// answers with becomes an *Error carrying the API's code (NotFound,
// Forbidden, …), which IsCode tests. Lists that the API pages come with an
// iterator that follows the pages.
//
// The package imports nothing of Hearth but the error codes, so that what
// works through it works for a program on another machine.
package client
