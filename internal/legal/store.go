package legal

import (
	"context"
	"time"
)

// Store persists legal demands. A demand is decided once and notified
// once; it is never deleted (the transparency report counts it), though
// its account reference is cleared when that account is deleted. Methods
// return apperr codes: NotFound and Conflict where stated, Internal
// otherwise.
type Store interface {
	// CreateDemand inserts d. NotFound if its account does not exist;
	// Conflict if its id is taken.
	CreateDemand(ctx context.Context, d *Demand) error
	// FindDemand returns the demand. NotFound if none.
	FindDemand(ctx context.Context, id DemandID) (*Demand, error)
	// ListDemands returns demands, most recently recorded first, at most limit.
	ListDemands(ctx context.Context, limit int) ([]*Demand, error)
	// DecideDemand saves the decision (Outcome, Produced, Note, DecidedBy,
	// DecidedAt, DecidedIndex, OwnerConsent, DelayOrder, DelayUntil), only
	// if the stored demand is pending: Conflict otherwise; NotFound if none.
	DecideDemand(ctx context.Context, d *Demand) error
	// ListDemandsReceived returns the demands received in [from, to).
	ListDemandsReceived(ctx context.Context, from, to time.Time) ([]*Demand, error)
	// FirstReceived returns the earliest day any demand was received; the
	// zero time when there is none.
	FirstReceived(ctx context.Context) (time.Time, error)
	// ListDueNotices returns the decided demands whose person has not been
	// told, whose account still exists, and whose notice delay (if any)
	// ends at or before now; oldest decision first.
	ListDueNotices(ctx context.Context, now time.Time) ([]*Demand, error)
	// ClaimNotice marks the demand's notice as being sent at now, so that
	// one node sends it: it reports true only if the demand is decided, not
	// notified, and not claimed since staleBefore (a claim older than that
	// was abandoned).
	ClaimNotice(ctx context.Context, id DemandID, now, staleBefore time.Time) (bool, error)
	// MarkNotified saves NotifiedAt and NotifiedIndex, only if the stored
	// demand is not notified yet: Conflict otherwise; NotFound if none.
	MarkNotified(ctx context.Context, d *Demand) error
}
