// Package access is the only way anyone but its owner reads a person's data.
// The Gate appends a transparency-log entry for every such read before the
// read happens, and the read fails if the append fails. Staff reach a
// person's data only through an access grant: a written reason, an expiry of
// at most 72 hours, an admin's approval, and a notice to the person.
package access
