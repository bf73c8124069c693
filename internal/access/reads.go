package access

import (
	"context"

	"hearth/internal/apperr"
	"hearth/internal/identity"
)

// The identity and notice domains read people's data too, but cannot name
// a Request (this package depends on them); these methods are the gate as
// they need it, with the object, purpose and legal basis fixed here.

// emailBases is the legal basis of each purpose staff may read an e-mail
// address for.
var emailBases = map[identity.Purpose]LegalBasis{
	identity.PurposeLegalDemand: BasisLegalObligation,
}

// RecordEmailRead records that reader reads subject's e-mail address for
// purpose; identity.Service calls it before returning the address. Invalid
// for a purpose the gate does not know; Unavailable when the log cannot be
// written.
func (g *Gate) RecordEmailRead(ctx context.Context, reader identity.Actor, subject identity.UserID, purpose identity.Purpose) error {
	basis, ok := emailBases[purpose]
	if !ok {
		return apperr.E("access.RecordEmailRead", apperr.Invalid, "No e-mail address is read for this purpose.")
	}
	_, err := g.Record(ctx, Request{Actor: Actor(reader), Subject: UserSubject(subject), Object: ObjectEmailAddress,
		Purpose: Purpose(purpose), LegalBasis: basis})
	return err
}

// RecordMailRead records that reader (an administrator, in the outbox)
// reads the e-mail Hearth wrote to subject; notice.Service calls it before
// showing that mail. Unavailable when the log cannot be written.
func (g *Gate) RecordMailRead(ctx context.Context, reader identity.Actor, subject identity.UserID) error {
	_, err := g.Record(ctx, Request{Actor: Actor(reader), Subject: UserSubject(subject), Object: ObjectMail,
		Purpose: PurposeMailDelivery, LegalBasis: BasisServiceOperation})
	return err
}
