// Package legal keeps the staff workflow for legal demands: subpoenas,
// warrants, court orders, emergency and foreign requests. Each demand is
// recorded, decided, and produced only within what its type may yield; the
// person concerned is told unless a court order delays it, and every step
// is in the transparency log.
package legal

// Service holds the rules of legal demands.
type Service struct{}
