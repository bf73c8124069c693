// Package neighbors holds the neighbourhood side of Hearth: agencies, their
// Requests for Assistance and the rules that bound them (SPEC §8), and
// residents' choice not to receive them. Every rule is enforced here, so the
// web, the API and the CLI cannot differ; there is no way to edit or delete
// a request, only to mark it resolved, and every posted or resolved request
// is in the transparency log before anyone can see it.
package neighbors
