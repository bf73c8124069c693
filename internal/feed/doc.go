// Package feed keeps the neighbours feed (SPEC §8): residents' safety
// alerts, each placed at its household's public (coarsened) location, read
// by the members of a household within a chosen radius of their home,
// newest first, together with the agencies' Requests for Assistance whose
// area comes that close.
//
// A post may share one of the household's clips. The poster's browser makes
// a fresh age identity for the post and wraps the clip's file key for it
// (a vault wrap); the post keeps that identity, so every reader of the feed
// can open the clip, and so can the server. The sharing is appended to the
// transparency log before the post is visible, and deleting the post removes
// the wrap and forgets the identity.
//
// Every rule is here: who may post and read, the radius, the text, the
// clip. The store only finds posts in a latitude/longitude box, newest
// first; the exact distance is measured by the service.
package feed
