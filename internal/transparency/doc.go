// Package transparency computes Hearth's half-yearly transparency report
// from the data: legal demands, agencies' requests, clips shared.
package transparency

// Service computes reports.
type Service struct{}
