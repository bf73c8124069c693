// Package text is the one rule for text that people type and others read:
// names of households, devices, tokens and agencies, the fields of a request
// for assistance or a legal demand, feed posts. Such text is shown to other
// people, so it must say what it looks like it says: it must be valid
// UTF-8, may not carry control characters, and may not carry the invisible
// characters (zero-width spaces and joiners, bidirectional overrides) that
// make text look empty when it is not, or read differently from what it
// holds. A required field needs at least one visible character.
//
// Every domain validates its display text with Field.Check, and any other
// text it takes in (e-mail addresses, passwords, codes) with Plain, so the
// same rule holds for the web, the API, the CLI and every store.
package text
