// Package feed keeps the neighbours feed: residents' safety alerts near
// their home, read within a radius, newest first.
package feed

// Service holds the rules of the feed.
type Service struct{}
