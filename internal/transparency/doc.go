// Package transparency computes Hearth's half-yearly transparency report
// (SPEC §8) from the data itself: legal demands by type and outcome, the
// share complied with, emergency disclosures, agencies' requests for
// assistance, clips residents shared, and agencies enrolled. Periods are
// half-years in UTC: H1 is January to June, H2 July to December.
package transparency
